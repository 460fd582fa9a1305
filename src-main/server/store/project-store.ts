import type { Db } from '../db/open-database.js';

export interface ProjectDoc {
  id: string;
  name: string;
  basename: string;
  description: string;
  user: string;
  company: string;
  created: string;
  last_update: string;
  tags: string[];
  system_tags: string[];
  default_output_destination?: string;
}

export class ProjectStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare<[string], { doc: string }>('SELECT doc FROM projects WHERE id = ?'),
      getByName: db.prepare<[string], { doc: string }>('SELECT doc FROM projects WHERE name = ?'),
      all: db.prepare<[], { doc: string }>('SELECT doc FROM projects ORDER BY rowid'),
      insert: db.prepare('INSERT INTO projects (id, name, doc) VALUES (?, ?, ?)'),
    };
  }

  get(id: string): ProjectDoc | undefined {
    const row = this.statements.get.get(id);
    return row ? (JSON.parse(row.doc) as ProjectDoc) : undefined;
  }

  getByName(name: string): ProjectDoc | undefined {
    const row = this.statements.getByName.get(name);
    return row ? (JSON.parse(row.doc) as ProjectDoc) : undefined;
  }

  all(): ProjectDoc[] {
    return this.statements.all.all().map((row) => JSON.parse(row.doc) as ProjectDoc);
  }

  insert(doc: ProjectDoc): void {
    this.statements.insert.run(doc.id, doc.name, JSON.stringify(doc));
  }
}

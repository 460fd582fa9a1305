import { dirname, extname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Origin } from '../errors.js';
import { dottedKey } from '../tree.js';
import {
  emptyObject,
  mergeFieldValue,
  type HoconNode,
  type ListNode,
  type ObjectNode,
  type ScalarNode,
  type SubstitutionNode,
} from './ast.js';

/**
 * A HOCON reader with the leniency of pyhocon, the parser clearml-agent and the ClearML SDK use,
 * so every clearml.conf they accept reads the same here. In particular (unlike the HOCON spec):
 * `:` and `//` may appear inside unquoted values (`api_server: http://host:8008`, straight from
 * the web UI's credentials block); `true`/`false`/`null` are case-insensitive; `key:` with nothing
 * after it on its line is the empty string (pyhocon would read the next line as the value; we only
 * let an object or list start there); unknown `\x` escapes are kept as written (Windows paths).
 * Additions of ours: `=`, `@`, `!`, `*`, `&`, `?`, `^`, `+` and a lone `$` are also plain
 * characters inside unquoted values; integers with a leading zero (`0644`) stay strings.
 */

export interface ParseContext {
  /** Text of an included file, or null when it does not exist. */
  readFile(path: string): string | null;
  /** Wording of an origin for messages (`~/clearml.conf line 3`). */
  describe(origin: Origin): string;
  /** Absolute paths of the files being read, outermost first (include cycle detection). */
  includeStack: string[];
}

interface Frame {
  node: ObjectNode;
  path: string[];
}

interface ValuePart {
  node: HoconNode;
  leadingSpace: string;
  unquoted: boolean;
}

type IncludeTarget = { kind: 'file'; path: string } | { kind: 'url'; url: string };

const MAX_INCLUDE_DEPTH = 16;
/** Characters that end an unquoted key. */
const KEY_STOP = new Set([...'.:="{}[],+#$`^?!@*&\\']);
/** Characters that end an unquoted value (plus whitespace, comments and `${`). */
const VALUE_STOP = new Set([...',}]{["#']);
const INCLUDE_START = /^include[ \t]+("|(?:file|url|classpath|package|required)[ \t]*\()/;

function isInlineSpace(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '\n' && /\s|\uFEFF/.test(ch);
}

function convertUnquoted(text: string): string | number | boolean | null {
  if (/^true$/i.test(text)) return true;
  if (/^false$/i.test(text)) return false;
  if (/^null$/i.test(text)) return null;
  if (/^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^[+-]?0\d/.test(text)) return Number(text);
  return text;
}

function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the file';
  if (ch === '\n') return 'the end of the line';
  return ch === '"' ? `'"'` : `"${ch}"`;
}

export class HoconParser {
  private pos = 0;
  private readonly lineStarts: number[] = [0];
  private frames: Frame[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly ctx: ParseContext,
    private readonly outerFrames: Frame[] = [],
    private readonly basePath: string[] = [],
  ) {
    for (let index = 0; index < text.length; index += 1) {
      if (text[index] === '\n') this.lineStarts.push(index + 1);
    }
  }

  /** Reads a whole file: `key: value` lines, optionally inside one pair of braces. */
  parseDocument(): ObjectNode {
    const root = emptyObject(this.origin(0));
    this.frames = [...this.outerFrames, { node: root, path: this.basePath }];
    this.skipBlank(true, true);
    if (this.peek() === '{') {
      const open = this.pos;
      this.pos += 1;
      this.parseObjectBody(root, this.basePath, open);
      this.skipBlank(true, true);
      if (!this.atEnd()) this.fail(`unexpected ${describeChar(this.peek())} after the "}" that closes the document`);
    } else if (this.peek() === '[') {
      this.fail('a configuration file must hold an object ("key: value" lines), not a list');
    } else {
      this.parseObjectBody(root, this.basePath, null);
    }
    return root;
  }

  /** Reads text that is one value only (the value of a `CLEARML_AGENT__...` variable). */
  parseStandaloneValue(): HoconNode {
    this.frames = [{ node: emptyObject(this.origin(0)), path: [] }];
    this.skipBlank(true, false);
    if (this.atEnd()) return this.scalar('', 0);
    const node = this.parseValue([], '');
    this.skipBlank(true, false);
    if (!this.atEnd()) this.fail(`unexpected ${describeChar(this.peek())} after the value`);
    return node;
  }

  // ---- objects and fields -------------------------------------------------------------------

  private parseObjectBody(object: ObjectNode, path: string[], openPos: number | null): void {
    for (;;) {
      this.skipBlank(true, true);
      if (this.atEnd()) {
        if (openPos !== null) {
          this.fail(`missing "}" to close the object opened on line ${this.lineAt(openPos)}`, {
            key: path.length ? dottedKey(path) : undefined,
            pos: openPos,
          });
        }
        return;
      }
      if (this.peek() === '}') {
        if (openPos === null) this.fail('unexpected "}": no object is open here (one "}" too many?)');
        this.pos += 1;
        return;
      }
      if (INCLUDE_START.test(this.text.slice(this.pos, this.pos + 40))) {
        this.parseInclude(object, path);
      } else {
        this.parseField(object, path);
      }
      this.expectEndOfEntry(path);
    }
  }

  private expectEndOfEntry(path: string[]): void {
    this.skipInlineSpacesAndComment();
    const ch = this.peek();
    if (ch === undefined || ch === '\n' || ch === ',' || ch === '}' || ch === ']') return;
    this.fail(`expected a new line or "," before ${describeChar(ch)}`, {
      key: path.length ? dottedKey(path) : undefined,
    });
  }

  private parseField(object: ObjectNode, objectPath: string[]): void {
    const keyPos = this.pos;
    const segments = this.parseKey(objectPath);
    const fieldPath = [...objectPath, ...segments];
    const key = dottedKey(fieldPath);
    this.skipInlineSpacesAndComment();
    let append = false;
    let ch = this.peek();
    if (ch === '\n' && this.nextLineStartsWith('{')) {
      this.skipBlank(true, false);
      ch = this.peek();
    }
    if (ch === ':' || ch === '=') {
      this.pos += 1;
    } else if (ch === '+' && this.peek(1) === '=') {
      this.pos += 2;
      append = true;
    } else if (ch !== '{') {
      const last = segments[segments.length - 1] ?? '';
      const spaced = /^(\S+)\s+(.+)$/.exec(last);
      let hint = '';
      if (spaced) hint = ` (did you mean "${spaced[1]}: ${spaced[2]}"?)`;
      else if (ch !== undefined && ch !== '\n' && ch !== '}') hint = ' (missing ":" between the key and its value?)';
      this.fail(`expected ":", "=" or "{" after the key, found ${describeChar(ch)}${hint}`, { key, pos: keyPos });
    }
    this.skipInlineSpacesAndComment();
    // `key:` with nothing after it is "" (pyhocon); only an object or list may start on the next line.
    if (this.peek() === '\n' && (this.nextLineStartsWith('{') || this.nextLineStartsWith('['))) this.skipBlank(true, false);
    const next = this.peek();
    const value =
      next === undefined || next === '\n' || next === '}' || next === ',' || next === ']'
        ? this.scalar('', this.pos)
        : this.parseValue(fieldPath, key);
    this.assign(object, objectPath, segments, value, append, this.origin(keyPos));
  }

  /** Whether the next line that is not blank or a comment starts with `text`. */
  private nextLineStartsWith(text: string): boolean {
    const saved = this.pos;
    this.skipBlank(true, false);
    const found = this.text.startsWith(text, this.pos);
    this.pos = saved;
    return found;
  }

  private parseKey(objectPath: string[]): string[] {
    const segments: string[] = [];
    let current = '';
    let hasContent = false;
    for (;;) {
      const ch = this.peek();
      if (ch === '"') {
        if (this.text.startsWith('"""', this.pos)) this.fail('a key cannot be a triple-quoted string');
        current += this.readQuoted();
        hasContent = true;
      } else if (ch === '.') {
        if (!hasContent) this.fail('empty key segment (two dots in a row, or a key starting with ".")');
        segments.push(current);
        current = '';
        hasContent = false;
        this.pos += 1;
      } else if (ch !== undefined && !isInlineSpace(ch) && ch !== '\n' && !KEY_STOP.has(ch) && !this.atComment()) {
        const start = this.pos;
        while (this.pos < this.text.length) {
          const c = this.text[this.pos] as string;
          if (isInlineSpace(c) || c === '\n' || KEY_STOP.has(c) || this.atComment()) break;
          this.pos += 1;
        }
        current += this.text.slice(start, this.pos);
        hasContent = true;
      } else if (isInlineSpace(ch) && hasContent) {
        // `a b c: 1` is the key "a b c" (as in pyhocon, unquoted words only: `key "value"` is a
        // missing separator, not a key); spaces before the separator are not part of it.
        const start = this.pos;
        while (isInlineSpace(this.peek())) this.pos += 1;
        const after = this.peek();
        if (after !== undefined && after !== '"' && after !== '\n' && !KEY_STOP.has(after) && !this.atComment()) {
          current += this.text.slice(start, this.pos);
        } else {
          this.pos = start;
          break;
        }
      } else {
        break;
      }
    }
    if (!hasContent) {
      if (segments.length === 0) {
        this.fail(`expected a key, found ${describeChar(this.peek())}`, {
          key: objectPath.length ? dottedKey(objectPath) : undefined,
        });
      }
      this.fail('a key cannot end with "."');
    }
    segments.push(current);
    return segments;
  }

  private assign(
    object: ObjectNode,
    objectPath: string[],
    segments: string[],
    value: HoconNode,
    append: boolean,
    origin: Origin,
  ): void {
    const fieldPath = [...objectPath, ...segments];
    this.markSelfReferences(value, fieldPath);
    let node: HoconNode = append ? { kind: 'append', base: this.lookupPrior(fieldPath), item: value, origin } : value;
    for (let index = segments.length - 1; index >= 1; index -= 1) {
      const wrapper = emptyObject(origin);
      wrapper.fields.set(segments[index] as string, node);
      wrapper.fieldOrigins.set(segments[index] as string, origin);
      node = wrapper;
    }
    const first = segments[0] as string;
    object.fields.set(first, mergeFieldValue(object.fields.get(first), node));
    object.fieldOrigins.set(first, origin);
  }

  /** Points every substitution of `fieldPath` (or below it) inside `node` at the field's value so far. */
  private markSelfReferences(node: HoconNode, fieldPath: string[]): void {
    switch (node.kind) {
      case 'substitution': {
        if (node.selfReference) return;
        const isSelf = node.path.length >= fieldPath.length && fieldPath.every((segment, i) => node.path[i] === segment);
        if (isSelf) node.selfReference = { prior: this.lookupPrior(node.path) };
        return;
      }
      case 'concat':
        for (const part of node.parts) this.markSelfReferences(part.node, fieldPath);
        return;
      case 'list':
        for (const item of node.items) this.markSelfReferences(item, fieldPath);
        return;
      case 'object':
        for (const child of node.fields.values()) this.markSelfReferences(child, fieldPath);
        return;
      case 'merge':
        this.markSelfReferences(node.base, fieldPath);
        this.markSelfReferences(node.over, fieldPath);
        return;
      case 'append':
        this.markSelfReferences(node.item, fieldPath);
        return;
      case 'scalar':
        return;
    }
  }

  /** The node a key path holds at this point of the read (innermost open object first). */
  private lookupPrior(path: string[]): HoconNode | undefined {
    for (let index = this.frames.length - 1; index >= 0; index -= 1) {
      const frame = this.frames[index] as Frame;
      if (frame.path.length > path.length || !frame.path.every((segment, i) => path[i] === segment)) continue;
      let node: HoconNode | undefined = frame.node;
      for (const segment of path.slice(frame.path.length)) {
        node = node?.kind === 'object' ? node.fields.get(segment) : undefined;
      }
      if (node !== undefined) return node;
    }
    return undefined;
  }

  // ---- includes -----------------------------------------------------------------------------

  private parseInclude(object: ObjectNode, path: string[]): void {
    const start = this.pos;
    this.pos += 'include'.length;
    this.skipInlineSpaces();
    let required = false;
    let target: IncludeTarget;
    if (this.text.startsWith('required', this.pos)) {
      this.pos += 'required'.length;
      this.expectChar('(');
      required = true;
      target = this.parseIncludeTarget();
      this.expectChar(')');
    } else {
      target = this.parseIncludeTarget();
    }
    const included = this.loadInclude(target, required, start, path);
    if (!included) return;
    for (const [key, value] of included.fields) {
      object.fields.set(key, mergeFieldValue(object.fields.get(key), value));
      object.fieldOrigins.set(key, included.fieldOrigins.get(key) ?? included.origin);
    }
  }

  private parseIncludeTarget(): IncludeTarget {
    this.skipInlineSpaces();
    if (this.peek() === '"') {
      const value = this.readQuoted();
      return /^(https?|file):\/\//i.test(value) ? { kind: 'url', url: value } : { kind: 'file', path: value };
    }
    const word = /^[a-z]+/.exec(this.text.slice(this.pos))?.[0] ?? '';
    this.pos += word.length;
    this.expectChar('(');
    this.skipInlineSpaces();
    if (this.peek() !== '"') this.fail(`expected a quoted path inside ${word}(...)`);
    const value = this.readQuoted();
    this.expectChar(')');
    if (word === 'file') return { kind: 'file', path: value };
    if (word === 'url') return { kind: 'url', url: value };
    this.fail(`include ${word}(...) is not supported; include the file by its path instead`);
  }

  private loadInclude(target: IncludeTarget, required: boolean, pos: number, path: string[]): ObjectNode | null {
    let relative: string;
    if (target.kind === 'url') {
      if (!/^file:\/\//i.test(target.url)) {
        this.fail(
          `include of ${target.url} is not supported: configuration is never downloaded; ` +
            'save the file locally and include it by its path',
          { pos },
        );
      }
      relative = fileURLToPath(target.url);
    } else {
      relative = target.path;
    }
    const absolute = isAbsolute(relative) ? relative : resolvePath(dirname(this.file), relative);
    const candidates = extname(absolute) ? [absolute] : [absolute, `${absolute}.conf`, `${absolute}.json`];
    for (const candidate of candidates) {
      const text = this.ctx.readFile(candidate);
      if (text === null) continue;
      if (this.ctx.includeStack.includes(candidate) || this.ctx.includeStack.length >= MAX_INCLUDE_DEPTH) {
        this.fail(`include cycle: ${[...this.ctx.includeStack, candidate].join(' → ')}`, { pos });
      }
      const parser = new HoconParser(
        text,
        candidate,
        { ...this.ctx, includeStack: [...this.ctx.includeStack, candidate] },
        this.frames,
        path,
      );
      return parser.parseDocument();
    }
    if (required) this.fail(`required include "${relative}" not found (looked for ${absolute})`, { pos });
    return null;
  }

  // ---- values -------------------------------------------------------------------------------

  /** One value: the parts written side by side on the line, until a new line, `,`, `}`, `]` or a comment. */
  private parseValue(fieldPath: string[], key: string): HoconNode {
    const start = this.pos;
    const parts: ValuePart[] = [];
    for (;;) {
      const spaceStart = this.pos;
      this.skipInlineSpaces();
      const spaces = this.text.slice(spaceStart, this.pos);
      const ch = this.peek();
      if (ch === undefined || ch === '\n' || ch === ',' || ch === '}' || ch === ']' || this.atComment()) break;
      if (ch === '\\' && /^\\[ \t]*\r?\n/.test(this.text.slice(this.pos, this.pos + 8))) {
        // A backslash at the end of a line continues the value on the next line (pyhocon).
        this.pos = this.text.indexOf('\n', this.pos) + 1;
        continue;
      }
      const partPos = this.pos;
      let node: HoconNode;
      let unquoted = false;
      if (this.text.startsWith('"""', this.pos)) {
        node = this.scalar(this.readTripleQuoted(), partPos);
      } else if (ch === '"') {
        node = this.scalar(this.readQuoted(key), partPos);
      } else if (this.text.startsWith('${', this.pos)) {
        node = this.readSubstitution(key);
      } else if (ch === '{') {
        const object = emptyObject(this.origin(partPos));
        this.pos += 1;
        this.frames.push({ node: object, path: fieldPath });
        try {
          this.parseObjectBody(object, fieldPath, partPos);
        } finally {
          this.frames.pop();
        }
        node = object;
      } else if (ch === '[') {
        node = this.parseList(fieldPath, key);
      } else {
        const text = this.readUnquoted();
        if (this.pos === partPos) this.fail(`unexpected ${describeChar(ch)}`, { key });
        node = this.scalar(text, partPos);
        unquoted = true;
      }
      parts.push({ node, leadingSpace: parts.length ? spaces : '', unquoted });
    }
    if (parts.length === 0) this.fail('missing value', { key, pos: start });
    if (parts.length === 1) {
      const only = parts[0] as ValuePart;
      if (only.unquoted && only.node.kind === 'scalar' && typeof only.node.value === 'string') {
        return this.scalar(convertUnquoted(only.node.value), start);
      }
      return only.node;
    }
    return {
      kind: 'concat',
      parts: parts.map(({ node, leadingSpace }) => ({ node, leadingSpace })),
      origin: this.origin(start),
    };
  }

  private parseList(fieldPath: string[], key: string): ListNode {
    const open = this.pos;
    this.pos += 1;
    const items: HoconNode[] = [];
    for (;;) {
      this.skipBlank(true, true);
      const ch = this.peek();
      if (ch === undefined) this.fail(`missing "]" to close the list opened on line ${this.lineAt(open)}`, { key, pos: open });
      if (ch === ']') {
        this.pos += 1;
        break;
      }
      if (ch === '}') this.fail(`unexpected "}" inside the list opened on line ${this.lineAt(open)} (missing "]"?)`, { key });
      items.push(this.parseValue(fieldPath, key));
      this.skipInlineSpacesAndComment();
      const after = this.peek();
      if (after !== undefined && after !== ',' && after !== '\n' && after !== ']') {
        this.fail(`expected "," or "]" in the list, found ${describeChar(after)}`, { key });
      }
    }
    return { kind: 'list', items, origin: this.origin(open) };
  }

  private readUnquoted(): string {
    let value = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos] as string;
      if (ch === '\n' || isInlineSpace(ch) || VALUE_STOP.has(ch) || this.text.startsWith('${', this.pos)) break;
      if (ch === '\\') {
        if (/^\\[ \t]*\r?\n/.test(this.text.slice(this.pos, this.pos + 8))) break;
        const escaped = this.text[this.pos + 1];
        value += escaped === undefined ? '\\' : unescape(escaped);
        this.pos += escaped === undefined ? 1 : 2;
        continue;
      }
      value += ch;
      this.pos += 1;
    }
    return value;
  }

  private readQuoted(key?: string): string {
    const start = this.pos;
    this.pos += 1;
    let value = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined || ch === '\n') {
        this.fail('quoted string is not closed on this line (missing \'"\')', { key, pos: start });
      }
      if (ch === '"') {
        this.pos += 1;
        return value;
      }
      if (ch === '\\') {
        const escaped = this.text[this.pos + 1];
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
          value += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
          continue;
        }
        if (escaped === undefined || escaped === '\n') {
          this.fail('quoted string is not closed on this line (missing \'"\')', { key, pos: start });
        }
        value += unescape(escaped);
        this.pos += 2;
        continue;
      }
      value += ch;
      this.pos += 1;
    }
  }

  private readTripleQuoted(): string {
    const start = this.pos;
    this.pos += 3;
    let end = this.text.indexOf('"""', this.pos);
    if (end < 0) this.fail('"""-string is not closed (missing \'"""\')', { pos: start });
    // `""""` closes with one quote of content: quotes before the final three belong to the string.
    while (this.text[end + 3] === '"') end += 1;
    const value = this.text.slice(this.pos, end);
    this.pos = end + 3;
    return value;
  }

  private readSubstitution(key: string): SubstitutionNode {
    const start = this.pos;
    this.pos += 2;
    const optional = this.peek() === '?';
    if (optional) this.pos += 1;
    const close = this.text.indexOf('}', this.pos);
    const newline = this.text.indexOf('\n', this.pos);
    if (close < 0 || (newline >= 0 && newline < close)) this.fail('"${" is not closed (missing "}")', { key, pos: start });
    const text = this.text.slice(this.pos, close).trim();
    if (!text) this.fail('empty substitution "${}"', { key, pos: start });
    this.pos = close + 1;
    return { kind: 'substitution', path: splitSubstitutionPath(text), text, optional, origin: this.origin(start) };
  }

  // ---- scanning helpers ---------------------------------------------------------------------

  private scalar(value: ScalarNode['value'], pos: number): ScalarNode {
    return { kind: 'scalar', value, origin: this.origin(pos) };
  }

  private peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private atComment(): boolean {
    return this.text[this.pos] === '#' || this.text.startsWith('//', this.pos);
  }

  private skipInlineSpaces(): void {
    while (isInlineSpace(this.peek())) this.pos += 1;
  }

  private skipInlineSpacesAndComment(): void {
    this.skipInlineSpaces();
    if (this.atComment()) this.skipToEndOfLine();
  }

  private skipToEndOfLine(): void {
    const newline = this.text.indexOf('\n', this.pos);
    this.pos = newline < 0 ? this.text.length : newline;
  }

  private skipBlank(newlines: boolean, commas: boolean): void {
    for (;;) {
      this.skipInlineSpaces();
      if (this.atComment()) this.skipToEndOfLine();
      const ch = this.peek();
      if ((newlines && ch === '\n') || (commas && ch === ',')) {
        this.pos += 1;
        continue;
      }
      return;
    }
  }

  private expectChar(expected: string): void {
    this.skipInlineSpaces();
    if (this.peek() !== expected) this.fail(`expected "${expected}", found ${describeChar(this.peek())}`);
    this.pos += 1;
  }

  private lineAt(pos: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= pos) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }

  private origin(pos: number): Origin {
    return { kind: 'file', file: this.file, line: this.lineAt(pos) };
  }

  private fail(detail: string, options: { key?: string; pos?: number } = {}): never {
    const origin = this.origin(Math.min(options.pos ?? this.pos, this.text.length));
    const line = origin.kind === 'file' ? origin.line : undefined;
    const prefix = options.key ? `${options.key}: ` : '';
    throw new ConfigError(`${prefix}${detail} (${this.ctx.describe(origin)})`, {
      file: this.file,
      line,
      key: options.key,
    });
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Known escapes become their character; unknown ones stay as written (`C:\Users` keeps `\U`). */
function unescape(escaped: string): string {
  return ESCAPES[escaped] ?? `\\${escaped}`;
}

/** `a."b.c".d` → ['a', 'b.c', 'd']. */
export function splitSubstitutionPath(text: string): string[] {
  const segments: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const ch = text[index] as string;
    if (ch === '"') {
      quoted = !quoted;
    } else if (ch === '.' && !quoted) {
      segments.push(current.trim());
      current = '';
    } else if (ch === '\\' && quoted && index + 1 < text.length) {
      index += 1;
      current += unescape(text[index] as string);
    } else {
      current += ch;
    }
  }
  segments.push(current.trim());
  return segments;
}

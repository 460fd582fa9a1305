import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseTaskRequirements,
  requirementsFileDirs,
  resolveRequirementSources,
} from '../../../src-main/engine/environment/requirement-sources.js';

const flags = { forceRepoRequirementsTxt: false, forceOriginalRequirements: false };

describe('chooseTaskRequirements', () => {
  it('uses the task pip list, even an empty one, and keeps org_pip as the original', () => {
    expect(chooseTaskRequirements({ pip: 'a==1' }, flags)).toMatchObject({ use: 'task', text: 'a==1', original: 'a==1' });
    expect(chooseTaskRequirements({ pip: '' }, flags)).toMatchObject({ use: 'task', text: '' });
    expect(chooseTaskRequirements({ pip: ['a==1', 'b==2'] }, flags)).toMatchObject({ use: 'task', text: 'a==1\nb==2' });
    expect(chooseTaskRequirements({ pip: 'a==1.0.3', org_pip: 'a' }, flags)).toMatchObject({ text: 'a==1.0.3', original: 'a' });
  });

  it('falls back to the repository when the task has no pip key', () => {
    expect(chooseTaskRequirements(null, flags)).toMatchObject({ use: 'files' });
    expect(chooseTaskRequirements({ pip: null }, flags)).toMatchObject({ use: 'files' });
    expect(chooseTaskRequirements({}, flags)).toMatchObject({ use: 'files' });
  });

  it('honours force_original_requirements and force_repo_requirements_txt', () => {
    const req = { pip: 'a==1.0.3', org_pip: 'a' };
    expect(chooseTaskRequirements(req, { ...flags, forceOriginalRequirements: true })).toMatchObject({
      use: 'task',
      text: 'a',
      label: 'task script.requirements.org_pip',
    });
    expect(chooseTaskRequirements({ pip: 'a' }, { ...flags, forceOriginalRequirements: true })).toMatchObject({ use: 'task', text: 'a' });
    expect(chooseTaskRequirements(req, { ...flags, forceRepoRequirementsTxt: true })).toMatchObject({
      use: 'files',
      why: 'agent.package_manager.force_repo_requirements_txt is set',
    });
  });
});

describe('requirements.txt files', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(path.join(os.tmpdir(), 'req-sources-'));
    await mkdir(path.join(repo, 'a', 'b'), { recursive: true });
    await writeFile(path.join(repo, 'requirements.txt'), 'root-pkg==1\n');
    await writeFile(path.join(repo, 'a', 'b', 'requirements.txt'), '-e .\n');
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('lists the folders from the repository root down to the working dir', () => {
    expect(requirementsFileDirs('/r', '/r/a/b')).toEqual(['/r', '/r/a', '/r/a/b']);
    expect(requirementsFileDirs('/r', '/r')).toEqual(['/r']);
    expect(requirementsFileDirs('/r', '/elsewhere')).toEqual(['/r', '/elsewhere']);
  });

  it('reads every requirements.txt on the way, root first, each with its own base dir', async () => {
    const resolved = await resolveRequirementSources(null, repo, path.join(repo, 'a', 'b'), flags);
    expect(resolved.sources.map((s) => [s.label, s.baseDir, s.text])).toEqual([
      [path.join(repo, 'requirements.txt'), repo, 'root-pkg==1\n'],
      [path.join(repo, 'a', 'b', 'requirements.txt'), path.join(repo, 'a', 'b'), '-e .\n'],
    ]);
    expect(resolved.originalRequirements).toBe('root-pkg==1\n-e .');
    expect(resolved.description).toMatch(/the task lists no pip requirements/);
  });

  it('ignores the task list when force_repo_requirements_txt is set', async () => {
    const resolved = await resolveRequirementSources({ pip: 'other' }, repo, repo, { ...flags, forceRepoRequirementsTxt: true });
    expect(resolved.sources.map((s) => s.text)).toEqual(['root-pkg==1\n']);
  });

  it('says so when there is nothing to install', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'req-empty-'));
    const resolved = await resolveRequirementSources(null, empty, empty, flags);
    expect(resolved).toMatchObject({ sources: [], originalRequirements: null });
    expect(resolved.description).toMatch(/no requirements.txt was found/);
    await rm(empty, { recursive: true, force: true });
  });

  it('uses the task list with the repository as base dir for relative paths', async () => {
    const resolved = await resolveRequirementSources({ pip: ['-e ./lib', 'x'] }, repo, path.join(repo, 'a'), flags);
    expect(resolved.sources).toEqual([{ text: '-e ./lib\nx', baseDir: repo, label: 'task script.requirements.pip' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtInDefaults } from '../../../src-main/engine/config/defaults.js';
import { bool, fileDefaultsOf, section } from '../../../src-main/engine/config/fields.js';
import { agentConfigSchema } from '../../../src-main/engine/config/schema.js';

// Each default is written once, with its field in schema.ts; the built-in defaults layer is read
// back from those declarations.
// The tree's shape is the file's (snake_case); the tests read a few keys of it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FileTree = any;
const defaultsTree = (): FileTree => builtInDefaults();

describe('declared defaults', () => {
  const context = { homeDir: '/home/u', env: {} };

  it('the defaults layer carries clearml-agent values declared with the fields', () => {
    const tree = defaultsTree();
    expect(tree.agent.package_manager.pip_version[0]).toBe("<20.2 ; python_version < '3.10'");
    expect(tree.agent.package_manager.priority_packages).toEqual(['cython', 'numpy', 'setuptools', 'pip', 'uv']);
    expect(tree.agent.docker_internal_mounts.sdk_cache).toBe('/clearml_agent_cache');
    expect(tree.agent.venvs_cache.path).toBe('~/.clearml/venvs-cache');
    expect(tree.agent.daemon.polling_interval_sec).toBe(5);
    expect(tree.api.http.retries.total).toBe(240);
    // Derived from agent.state_dir when no layer sets it, so the layer leaves it unset.
    expect(tree.agent.spool_dir).toBeNull();
  });

  it('a key no layer sets reads exactly as the defaults layer would give it', () => {
    const schema = agentConfigSchema(context);
    const fromNothing = schema.parse({});
    const fromDefaults = schema.parse(builtInDefaults());
    expect(fromNothing).toEqual(fromDefaults);
    expect(fromNothing.agent.venvsCache.path).toBe('/home/u/.clearml/venvs-cache');
  });

  it('each call gives a fresh tree (a layer may be changed by its reader)', () => {
    const first = defaultsTree();
    first.agent.package_manager.pip_version.push('mutated');
    expect((defaultsTree()).agent.package_manager.pip_version).not.toContain('mutated');
  });

  it('a field declared without a default is a programming error, named as such', () => {
    expect(() => fileDefaultsOf(section({ ok: bool(true), bare: z.string() }))).toThrow(/without a declared default/);
  });
});

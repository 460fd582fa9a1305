import { describe, expect, it } from 'vitest';
import { buildCliArgsHyperparams, cliArgsForTask, cliArgsSystemTag } from '../../../src-main/engine/api/index.js';
import { splitShellWords } from '../../../src-main/engine/api/cli-args-marking.js';

describe('CLI-args task marking', () => {
  it('round-trips free-form and named arguments into a command line', () => {
    const hyperparams = buildCliArgsHyperparams({ argsString: `data/in "two words" --x='$HOME'`, namedArgs: [['lr', '0.1'], ['epochs', '3'], ['verbose', '']] });
    expect(Object.keys(hyperparams)).toEqual(['Args']);
    expect(hyperparams['Args']?.['lr']).toEqual({ section: 'Args', name: 'lr', value: '0.1', type: 'str' });
    const args = cliArgsForTask({ system_tags: [cliArgsSystemTag], hyperparams });
    expect(args).toEqual(['data/in', 'two words', '--x=$HOME', '--epochs', '3', '--lr', '0.1', '--verbose']);
  });

  it('returns null for a task without the tag (the SDK passes its own arguments)', () => {
    expect(cliArgsForTask({ system_tags: [], hyperparams: { Args: { lr: { section: 'Args', name: 'lr', value: '0.1' } } } })).toBeNull();
  });

  it('gives a marked task without arguments an empty list', () => {
    expect(cliArgsForTask({ system_tags: [cliArgsSystemTag], hyperparams: null })).toEqual([]);
  });

  it('refuses shell operators and unusable names with the input named', () => {
    expect(() => splitShellWords('a | b')).toThrow(/"a \| b" contain the shell operator "\|"/);
    expect(() => buildCliArgsHyperparams({ namedArgs: [['bad name', '1']] })).toThrow(/"bad name"/);
    expect(() => buildCliArgsHyperparams({ namedArgs: [['lr', '1'], ['lr', '2']] })).toThrow(/given twice/);
  });
});

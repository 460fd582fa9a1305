import { describe, expect, it } from 'vitest';
import { useAgentTestBed } from '../helpers/agent-test-bed.js';
import { runCliCaptured } from '../helpers/run-cli-captured.js';

// Bad daemon flags fail before anything registers, with exit code 2 and a message that names
// the flag and the expected form.
const bed = useAgentTestBed('daemon-flags');

describe('daemon flag validation', () => {
  it.each([
    [['--gpus', '0-'], /--gpus/],
    [['--gpus', 'abc'], /--gpus/],
    [['--uptime', '25-26 MON'], /uptime/],
    [['--uptime', '17-20 FUNDAY'], /uptime/],
    [['--downtime', 'sometimes'], /downtime/],
    [['--polling-interval', 'fast'], /--polling-interval/],
    [['--polling-interval', '0.001'], /--polling-interval/],
    [['--services-mode', 'many'], /--services-mode/],
    [['--dynamic-gpus', '--gpus', '0-3', '--queue', 'big=1.3'], /big=1\.3/],
    [['--dynamic-gpus', '--gpus', 'all', '--queue', 'a=1'], /--dynamic-gpus/],
    [['--dynamic-gpus', '--services-mode', '--gpus', '0-1', '--queue', 'a=1'], /cannot be combined/],
    [['--drain'], /--drain goes with --stop/],
    [['--docker', "img 'unclosed"], /--docker .*a quote is not closed/],
  ])('daemon %j → usage error naming it', async (args, message) => {
    const queue = args.includes('--queue') ? [] : ['--queue', 'default'];
    const result = await runCliCaptured('--config-file', bed.configFile, 'daemon', ...queue, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('an unknown queue fails naming it and the existing queues, with the fix', async () => {
    const result = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'no-such-queue');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/queue "no-such-queue" does not exist \(queues: default\); create it or pass --create-queue/);
  });

  it('--stop with no matching daemon says so and exits 1', async () => {
    const result = await runCliCaptured('--config-file', bed.configFile, 'daemon', '--queue', 'default', '--stop', 'nobody:0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no running local daemon matches nobody:0/);
  });
});

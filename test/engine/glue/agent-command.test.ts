import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agentCommand, agentCommandFor, findCheckoutRoot } from '../../../src-main/engine/glue/agent-command.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

describe('the command a job starts tray-agent with', () => {
  it('is this node and this checkout\'s bin/tray-agent.js, from the sources or from the bundle', () => {
    expect(agentCommand()).toEqual([process.execPath, `${repoRoot}/bin/tray-agent.js`]);
    expect(findCheckoutRoot(`${repoRoot}/out/main/cli.js`)).toBe(repoRoot);
    expect(existsSync(agentCommand()[1]!)).toBe(true);
  });

  it('under Electron is the app binary in --cli mode', () => {
    expect(agentCommandFor({ execPath: '/opt/Tray Agent/tray-agent', electron: '41.0.0', fromFile: '/x/app.asar/out/main/main.js' })).toEqual(['/opt/Tray Agent/tray-agent', '--cli']);
  });

  it('outside a checkout is an error that says so', () => {
    expect(() => agentCommandFor({ execPath: '/usr/bin/node', fromFile: '/tmp/x/y.js', exists: () => false })).toThrow(/cannot find bin\/tray-agent.js above \/tmp\/x\/y.js/);
  });
});

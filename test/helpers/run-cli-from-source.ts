// Entry for spawnCli(): the CLI from source, as bin/tray-agent.js runs the built one (including
// its explicit exit once the command has finished and its output is written).
import { runCli } from '../../src-main/cli/main.js';

const code = await runCli(process.argv.slice(2));
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);

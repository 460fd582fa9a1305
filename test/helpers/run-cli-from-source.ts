// Entry for spawnCli(): the CLI from source, as bin/tray-agent.js runs the built one.
import { runCli } from '../../src-main/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));

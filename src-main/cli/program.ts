import { Command } from 'commander';
import { commandRegistrations } from './commands/index.js';
import { productVersion } from '../../src-shared/product.js';

/** The `tray-agent` command tree; each command lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('tray-agent')
    .description(
      'ClearML-compatible execution agent for ML workstations.\n' +
        'Commands mirror clearml-agent (daemon, execute, list, config, ...), plus `server` and `task`.',
    )
    .version(productVersion, '-V, --version')
    .option('--config-file <path>', 'clearml.conf to use (default: $CLEARML_CONFIG_FILE, else ~/clearml.conf)')
    .showHelpAfterError('(run `tray-agent --help` for the command list)')
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  return program;
}

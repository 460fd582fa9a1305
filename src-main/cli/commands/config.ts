import { homedir } from 'node:os';
import type { Command } from 'commander';
import { ConfigError, displayPath, flattenConfig, loadAgentConfig, maskSecrets, type LoadedAgentConfig } from '../../engine/config/index.js';

function printText(loaded: LoadedAgentConfig): void {
  const home = homedir();
  const files = loaded.sourceFiles.map((file) => displayPath(file, home));
  const header = [
    `# configuration files read: ${files.length ? files.join(', ') : 'none (built-in defaults; looked for ~/trains.conf and ~/clearml.conf)'}`,
    `# environment variables applied: ${loaded.environmentVariables.length ? loaded.environmentVariables.join(', ') : 'none'}`,
    ...loaded.warnings.map((warning) => `# warning: ${warning}`),
  ];
  process.stdout.write(`${[...header, ...flattenConfig(maskSecrets(loaded.config.raw))].join('\n')}\n`);
}

function printJson(loaded: LoadedAgentConfig): void {
  const { raw, ...typed } = loaded.config;
  const output = {
    sourceFiles: loaded.sourceFiles,
    environmentVariables: loaded.environmentVariables,
    warnings: loaded.warnings,
    config: maskSecrets(typed),
    raw: maskSecrets(raw),
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
}

/** `tray-agent config`: the resolved configuration with secrets masked, like clearml-agent's `config`. */
export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('print the resolved configuration (secrets masked) and the files and variables it came from')
    .option('--json', 'print JSON: typed values (config), the merged file tree (raw) and the sources')
    .action(async (options: { json?: boolean }, command: Command) => {
      const configFile = command.optsWithGlobals()['configFile'] as string | undefined;
      let loaded: LoadedAgentConfig;
      try {
        loaded = await loadAgentConfig({ configFile });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`tray-agent: configuration error: ${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      if (options.json) printJson(loaded);
      else printText(loaded);
    });
}

import type { Command } from 'commander';
import { productName, productVersion } from '../../../src-shared/product.js';

/** `tray-agent version`: versions of the agent and of the runtime it runs on. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the agent version and the Node.js / platform it runs on')
    .action(() => {
      process.stdout.write(
        `${productName} ${productVersion}\nnode ${process.versions.node} (${process.platform}-${process.arch})\n`,
      );
    });
}

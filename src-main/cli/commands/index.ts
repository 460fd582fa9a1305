import type { Command } from 'commander';
import { registerVersionCommand } from './version.js';
import { registerConfigCommand } from './config.js';
import { registerTaskCommand } from './task.js';
import { registerListCommand } from './list.js';
import { registerExecuteCommand } from './execute.js';
import { registerDaemonCommand } from './daemon.js';
import { registerServerCommand } from './server.js';
import { registerUpCommand } from './up.js';
import { registerGlueCommand } from './glue.js';

/** Every command module adds itself to the program through one registration function. */
export type CommandRegistration = (program: Command) => void;

export const commandRegistrations: readonly CommandRegistration[] = [
  registerVersionCommand,
  registerConfigCommand,
  registerTaskCommand,
  registerListCommand,
  registerExecuteCommand,
  registerDaemonCommand,
  registerServerCommand,
  registerUpCommand,
  registerGlueCommand,
];

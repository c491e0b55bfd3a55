import { Command, CommanderError } from 'commander';
import { adminCommand } from './commands/admin/index.js';
import { rerunCommand } from './commands/rerun.js';
import { runCommand } from './commands/run.js';
import { logsCommand } from './commands/logs.js';
import { outputCommand } from './commands/output.js';
import { describeCommand, historyCommand, lastCommand, listCommand, measuresCommand, pingCommand, statusCommand, stopCommand, workersCommand } from './commands/inspect.js';
import { sweepCommand } from './commands/sweep.js';
import { uiCommand } from './commands/ui.js';
import { exitCodes, handleError } from './errors.js';
import { Printer } from './output.js';

export const version = '0.1.0';

/** The `plz` program: global options and every verb (one file per verb under commands/). */
export function buildProgram(): Command {
  const program = new Command('plz')
    .description('run ML jobs on your team\'s machines and keep every run')
    .version(version)
    .option('-c, --config <file>', 'configuration file instead of ./plz.config.json')
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [
    runCommand(), rerunCommand(), logsCommand(), outputCommand(), describeCommand(), historyCommand(), measuresCommand(),
    statusCommand(), stopCommand(), listCommand(), lastCommand(), workersCommand(), sweepCommand(), pingCommand(), uiCommand(), adminCommand(),
  ]) {
    program.addCommand(throwingErrors(command));
  }
  return program;
}

/** `command` and its subcommands, at any depth, throw CommanderError rather than exit (see main). */
function throwingErrors(command: Command): Command {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) throwingErrors(sub);
  return command;
}

/**
 * Runs `plz` with `argv` (as process.argv) and returns the exit status: the job's own for
 * `plz run`, else 0, or the status handleError chose.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : exitCodes.usage;
    const json = argv.includes('--json');
    return handleError(error, new Printer(json), argv.includes('--debug'));
  }
}

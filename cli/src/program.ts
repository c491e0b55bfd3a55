import { Command, CommanderError } from 'commander';
import { adminCommand } from './commands/admin/index.js';
import { rerunCommand } from './commands/jobs/rerun.js';
import { runCommand } from './commands/jobs/run.js';
import { logsCommand } from './commands/executions/logs.js';
import { outputCommand } from './commands/executions/output.js';
import { describeCommand, historyCommand, lastCommand, listCommand, measuresCommand, pingCommand, statusCommand, stopCommand, workersCommand } from './commands/executions/inspect.js';
import { sweepCommand } from './commands/jobs/sweep.js';
import { uiCommand } from './commands/executions/ui.js';
import { loginCommand } from './commands/account/login.js';
import { logoutCommand } from './commands/account/logout.js';
import { whoamiCommand } from './commands/account/whoami.js';
import { completionCommand } from './commands/completion/index.js';
import { priorityCommand } from './commands/queues/priority.js';
import { openedSession } from './commands/common.js';
import { exitCodes, exitStatusHelp, handleError } from './errors.js';
import { remindOfVersion } from './version-check.js';
import { Printer } from './output.js';
import { cliVersion } from './version.js';

/** The `plz` program: global options and every verb (one file per verb under commands/). */
export function buildProgram(): Command {
  const program = new Command('plz')
    .description('run ML jobs on your team\'s machines and keep every run')
    .version(cliVersion(), '-V, --version', 'print plz\'s version')
    .option('-c, --config <file>', 'configuration file instead of ./plz.config.json')
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .addHelpText('after', `\n${exitStatusHelp}\n\nLog in once with: plz login URL. Docs: plz <command> --help, and the CLI's README.`)
    .exitOverride();
  for (const command of [
    runCommand(), rerunCommand(), logsCommand(), outputCommand(), describeCommand(), historyCommand(), measuresCommand(),
    statusCommand(), priorityCommand(), stopCommand(), listCommand(), lastCommand(), workersCommand(), sweepCommand(), pingCommand(), uiCommand(), loginCommand(),
    logoutCommand(), whoamiCommand(), adminCommand(), completionCommand(),
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
 * `plz run`, else 0, or the status handleError chose (see exitCodes); a command-line mistake
 * that commander finds (unknown option, missing argument) is a usage error too.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let status: number;
  try {
    await program.parseAsync(argv);
    status = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : exitCodes.usage;
    const json = argv.includes('--json');
    status = handleError(error, new Printer(json), argv.includes('--debug'));
  }
  // Once a day per deployment: does this CLI match the deployment it talked to?
  const session = openedSession();
  if (session) await remindOfVersion(session.api, session.printer);
  return status;
}

import { Command, CommanderError } from 'commander';
import { openedSession } from './commands/session.js';
import { exitCodes, exitStatusHelp, handleError } from './errors.js';
import { Printer } from './output.js';
import { cliVersion } from './version.js';

/**
 * Every verb of `plz`, in the order `plz --help` lists them, with what builds its command: each
 * module is imported only when its verb runs (commandVerb), so that a command loads only what it
 * uses (`plz history` neither tar nor the upload code). One file per verb under commands/.
 */
const verbs: ReadonlyArray<readonly [string, () => Promise<Command>]> = [
  ['run', async () => (await import('./commands/jobs/run.js')).runCommand()],
  ['rerun', async () => (await import('./commands/jobs/rerun.js')).rerunCommand()],
  ['logs', async () => (await import('./commands/executions/logs.js')).logsCommand()],
  ['output', async () => (await import('./commands/executions/output.js')).outputCommand()],
  ['describe', async () => (await import('./commands/executions/inspect.js')).describeCommand()],
  ['history', async () => (await import('./commands/executions/history.js')).historyCommand()],
  ['measures', async () => (await import('./commands/executions/inspect.js')).measuresCommand()],
  ['status', async () => (await import('./commands/executions/inspect.js')).statusCommand()],
  ['priority', async () => (await import('./commands/queues/priority.js')).priorityCommand()],
  ['stop', async () => (await import('./commands/executions/inspect.js')).stopCommand()],
  ['list', async () => (await import('./commands/executions/inspect.js')).listCommand()],
  ['last', async () => (await import('./commands/executions/inspect.js')).lastCommand()],
  ['workers', async () => (await import('./commands/executions/inspect.js')).workersCommand()],
  ['sweep', async () => (await import('./commands/jobs/sweep.js')).sweepCommand()],
  ['ping', async () => (await import('./commands/executions/inspect.js')).pingCommand()],
  ['ui', async () => (await import('./commands/executions/ui.js')).uiCommand()],
  ['login', async () => (await import('./commands/account/login.js')).loginCommand()],
  ['logout', async () => (await import('./commands/account/logout.js')).logoutCommand()],
  ['whoami', async () => (await import('./commands/account/whoami.js')).whoamiCommand()],
  ['admin', async () => (await import('./commands/admin/index.js')).adminCommand()],
  ['completion', async () => (await import('./commands/completion/index.js')).completionCommand()],
];

/** Verbs that need every command: `plz completion` writes the script of the whole tree. */
const needingEveryVerb = new Set(['completion']);

/** Global options that take a value (`-c FILE`, `--config FILE`): their value is not the verb. */
const valuedOptions = new Set(['-c', '--config']);

/**
 * What `argv` (as process.argv) asks for: the verb (a name of `verbs`), `'none'` when no command
 * runs (`plz --version`, `plz -V`), or `'all'` when every command is needed (`plz`, `plz --help`,
 * `plz help …`, `plz completion`, a verb plz does not know, for commander's help and suggestions). Global options
 * before the verb are skipped, with the value of `-c`/`--config`.
 */
export function commandVerb(argv: readonly string[]): string {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return 'all';
    if (!arg.startsWith('-')) return verbs.some(([name]) => name === arg) && !needingEveryVerb.has(arg) ? arg : 'all';
    if (arg === '-V' || arg === '--version') return 'none';
    if (arg === '-h' || arg === '--help') return 'all';
    if (valuedOptions.has(arg)) i += 1;
  }
  return 'all';
}

/**
 * The `plz` program: global options and the verbs `verb` needs (commandVerb: one verb, none, or
 * `'all'`, the default, every verb).
 */
export async function buildProgram(verb = 'all'): Promise<Command> {
  const program = new Command('plz')
    .description('run ML jobs on your team\'s machines and keep every run')
    .version(cliVersion(), '-V, --version', 'print plz\'s version')
    .option('-c, --config <file>', 'configuration file instead of ./plz.config.json')
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .option('--debug', 'print stack traces of unexpected errors')
    .showHelpAfterError()
    .addHelpText('after', `\n${exitStatusHelp}\n\nLog in once with: plz login URL. Docs: plz <command> --help, and the CLI's README.`)
    .exitOverride();
  const wanted = verbs.filter(([name]) => verb === 'all' || name === verb);
  for (const command of await Promise.all(wanted.map(([, build]) => build()))) program.addCommand(throwingErrors(command));
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
  let status: number;
  try {
    const program = await buildProgram(commandVerb(argv));
    await program.parseAsync(argv);
    status = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : exitCodes.usage;
    const json = argv.includes('--json');
    status = handleError(error, new Printer(json), argv.includes('--debug'));
  }
  // Once a day per deployment: does this CLI match the deployment it talked to?
  const session = openedSession();
  if (session) await (await import('./version-check.js')).remindOfVersion(session.api, session.printer);
  return status;
}

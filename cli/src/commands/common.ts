import { Option, type Command } from 'commander';
import { priorities, type ExecutionList, type Identity } from '@plz/contracts';
import { ApiClient } from '../api/client.js';
import { loadConfig, loadServerConfig } from '../config/load.js';
import type { ServerConfig } from '../config/schema.js';
import { rememberSession, type Session } from './session.js';
import { UsageError } from '../errors.js';
import { Printer } from '../output.js';

export { openedSession, type Session } from './session.js';

/** Options every command takes (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
  debug?: boolean;
}

/** The root program's options as seen from any subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Loads the configuration (see loadConfig) and builds the session of one command. */
export function openSession(command: Command): Session {
  const options = globalOptions(command);
  const printer = new Printer(Boolean(options.json));
  const { config, files } = loadConfig({ cwd: process.cwd(), ...(options.config ? { configPath: options.config } : {}), env: process.env });
  if (options.debug) config.debug = true;
  const session = { config, api: new ApiClient(config.url, config.token), printer, configFiles: files };
  rememberSession(session);
  return session;
}

/**
 * The session of a command that needs only the deployment, not a project (`plz admin`, `plz ui`,
 * `plz ping`, `whoami`, `workers`, `list --all-projects`, and every command about one execution):
 * it works in any folder, with url and token from PLZ_URL/PLZ_TOKEN or
 * `~/.config/plz/plz.config.json` (see loadServerConfig).
 */
export function openServerSession(command: Command): Session<ServerConfig> {
  const options = globalOptions(command);
  const printer = new Printer(Boolean(options.json));
  const { config, files } = loadServerConfig({ cwd: process.cwd(), ...(options.config ? { configPath: options.config } : {}), env: process.env });
  if (options.debug) config.debug = true;
  const session = { config, api: new ApiClient(config.url, config.token), printer, configFiles: files };
  rememberSession(session);
  return session;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an execution id given on the command line. */
export function checkExecutionId(id: string): string {
  if (!uuid.test(id)) throw new UsageError(`"${id}" is not an execution id`, 'an execution id is a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301: plz list shows yours', 'bad_id');
  return id.toLowerCase();
}

/** The token's user and the last execution they started (undefined when they started none). */
export async function lastExecution(api: ApiClient): Promise<{ user: string; id: string | undefined }> {
  const me = await api.json<Identity>('GET', '/api/v1/me');
  const list = await api.json<ExecutionList>('GET', '/api/v1/executions', { query: { user: me.name, limit: 1 } });
  return { user: me.name, id: list.executions[0]?.id };
}

/**
 * The execution a command is about: the id given, or the last execution the token's user started.
 *
 * @throws UsageError when no id is given and the user has started none.
 */
export async function executionIdOrLast(api: ApiClient, id: string | undefined): Promise<string> {
  if (id) return checkExecutionId(id);
  const last = await lastExecution(api);
  if (!last.id) throw new UsageError(`${last.user} has started no execution yet`, 'give an execution id (plz list --all-projects shows every execution)', 'no_execution');
  return last.id;
}

/**
 * `--priority <level>` of `plz run`, `plz sweep` and `plz rerun`: `high`, `normal` or `low` (the
 * queue order of packages/contracts' queue.ts); `fallback` says, in its help, what applies without
 * it. Commander refuses any other value before the action runs, so before anything is uploaded
 * (exit status 120).
 */
export function priorityOption(fallback: string): Option {
  return new Option('--priority <level>', `priority in the queue, high being for admins or within your allowance (default: ${fallback})`).choices(priorities);
}

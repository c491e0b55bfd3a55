import type { ZodError } from 'zod';
import type { Printer } from './output.js';

/**
 * Exit statuses of `plz` itself. `plz run` and `plz rerun` exit with the job's own status
 * (0-255), so plz's own failures use codes that jobs rarely use, the same for every command:
 * below the shell's 126 (cannot execute) and 127 (not found) and the 128+N of a signal, like
 * `docker run`'s 125 (https://docs.docker.com/reference/cli/docker/container/run/#exit-status).
 * 124 is left out: it is `timeout(1)`'s. 130 is Ctrl-C, as for any program.
 */
export const exitCodes = {
  /** `plz run`/`rerun`: the execution ended `stopped` or in `error`, with no exit status of its own. */
  ended: 118,
  /** The deployment refused the request (not found, no worker, conflict, server error). */
  refused: 119,
  /** A mistake in the command line or a file it names (option, id, parameters, input). */
  usage: 120,
  /** A configuration problem (plz.config.json, not logged in). */
  config: 121,
  /** The deployment did not answer (down, wrong URL, TLS refused, timed out). */
  unreachable: 122,
  /** No token, a refused or expired one, or not an admin's where an admin is needed. */
  unauthorized: 123,
  /** plz itself failed: a bug (run with --debug for the stack). */
  internal: 125,
  /** Interrupted with Ctrl-C (a followed job goes on). */
  interrupted: 130,
} as const;

/**
 * A failure plz knows how to explain: a stable `code` (in `--json` errors), the exit status and,
 * where one helps, a hint saying what to do next.
 */
export class PlzError extends Error {
  override readonly name: string = 'PlzError';
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: number,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A mistake in how the command was called (an option, an argument, a file it names). */
export class UsageError extends PlzError {
  override readonly name: string = 'UsageError';
  constructor(message: string, hint?: string, code = 'usage') {
    super(message, code, exitCodes.usage, hint);
  }
}

/** A configuration problem, with where it came from, fit to print as is. */
export class ConfigError extends PlzError {
  override readonly name: string = 'ConfigError';
  constructor(message: string, hint?: string, code = 'config') {
    super(message, code, exitCodes.config, hint);
  }
}

/**
 * A snapshot or an input about to be uploaded holds the caller's API token (exit status 120, code
 * `token_in_upload`): nothing is uploaded. `what` says which upload (`the snapshot`, `the input
 * file:///data`), `file` the first file holding it, relative to that upload's folder. The token
 * itself is never printed.
 */
export class TokenInUploadError extends PlzError {
  override readonly name: string = 'TokenInUploadError';
  constructor(
    readonly what: string,
    readonly file: string,
  ) {
    super(
      `${what} holds your API token (in ${file}): nothing was uploaded`,
      'token_in_upload',
      exitCodes.usage,
      `remove the token from ${file} (or leave the file out with excluded_paths); if it was ever shared (committed, copied, uploaded), have an admin revoke it with plz admin tokens revoke ID (plz admin tokens list USER shows its id) and log in with a new one`,
    );
  }
}

/** The exit-status table for `plz --help` and the README. */
export const exitStatusHelp = `Exit status:
  plz run, plz rerun   the job's own exit status (0 when it succeeded)
  0                    success
  118                  run/rerun: the execution was stopped or ended in error (no exit status of its own)
  119                  the deployment refused the request (not found, no worker, conflict, server error)
  120                  usage: a bad option, argument, execution id, parameters file or input,
                       or your token found in the snapshot or input (token_in_upload)
  121                  configuration: plz.config.json, or not logged in (plz login URL)
  122                  the deployment did not answer (down, wrong URL, TLS, timeout)
  123                  token missing, refused or expired, or not an admin's
  125                  plz itself failed (a bug: run with --debug)
  130                  interrupted (Ctrl-C); a followed job goes on`;

/**
 * Prints an error for people (message, then `hint: ...`) or as
 * `{"error": {"code", "message", "hint"?, "details"?}}` on stdout with --json, and returns the
 * exit status (see exitCodes). Anything that is not a PlzError or a ZodError (an option that
 * failed its schema) is a bug: exit 125, its stack under --debug.
 */
export function handleError(error: unknown, printer: Printer, debug = false): number {
  const report = (code: string, message: string, status: number, hint?: string, details?: unknown): number => {
    if (printer.json) printer.result({ error: { code, message, ...(hint ? { hint } : {}), ...(details === undefined ? {} : { details }) } });
    else printer.error(`${message}${details === undefined ? '' : `\n${formatDetails(details)}`}${hint ? `\nhint: ${hint}` : ''}`);
    return status;
  };
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  if (error instanceof PlzError) return report(error.code, error.message, error.exitCode, error.hint, error.details);
  if (isZodError(error)) {
    const message = error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ');
    return report('usage', message, exitCodes.usage, 'see the command\'s --help');
  }
  const message = error instanceof Error ? error.message : String(error);
  return report('internal', `unexpected error: ${message}`, exitCodes.internal, debug ? undefined : 'run again with --debug for details, and report it');
}

/**
 * A ZodError (zod 4 names its errors `ZodError` and lists `issues`), told apart without loading
 * zod, which every command would then load at start even when nothing fails.
 */
function isZodError(error: unknown): error is ZodError {
  return error instanceof Error && error.name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues);
}

function formatDetails(details: unknown): string {
  if (Array.isArray(details)) {
    return details
      .map((item) => (typeof item === 'object' && item && 'path' in item && 'message' in item ? `  ${String(item.path)}: ${String(item.message)}` : `  ${JSON.stringify(item)}`))
      .join('\n');
  }
  return `  ${JSON.stringify(details)}`;
}

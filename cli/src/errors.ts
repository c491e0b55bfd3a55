import { ZodError } from 'zod';
import { ApiClientError } from './api/client.js';
import { ConfigError } from './config/load.js';
import { ParametersError } from './parameters.js';
import type { Printer } from './output.js';

/** A mistake in how the command was called, with its message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit statuses of `plz` itself (a job's own exit status is passed through by `plz run`). */
export const exitCodes = { failure: 1, usage: 2, config: 3, unreachable: 4, unauthorized: 5, interrupted: 130 } as const;

/**
 * Prints an error for people (or as `{"error": {...}}` with --json) and returns the exit status.
 * Known errors get their own message; anything else is a bug, printed with its stack under --debug.
 */
export function handleError(error: unknown, printer: Printer, debug = false): number {
  const report = (code: string, message: string, status: number, details?: unknown): number => {
    if (printer.json) printer.result({ error: { code, message, ...(details === undefined ? {} : { details }) } });
    else printer.error(message);
    return status;
  };
  if (error instanceof ConfigError) return report('config', error.message, exitCodes.config);
  if (error instanceof ParametersError) return report('parameters', error.message, exitCodes.usage);
  if (error instanceof UsageError) return report('usage', error.message, exitCodes.usage);
  if (error instanceof ZodError) {
    return report('usage', error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; '), exitCodes.usage);
  }
  if (error instanceof ApiClientError) {
    const status = error.kind === 'unreachable' ? exitCodes.unreachable : error.kind === 'unauthorized' ? exitCodes.unauthorized : exitCodes.failure;
    const details = error.details && !printer.json ? `\n${formatDetails(error.details)}` : '';
    return report(error.code ?? error.kind, `${error.message}${details}`, status, error.details);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return report('internal', `unexpected error: ${message}${debug ? '' : ' (run with --debug for details)'}`, exitCodes.failure);
}

function formatDetails(details: unknown): string {
  if (Array.isArray(details)) {
    return details
      .map((item) => (typeof item === 'object' && item && 'path' in item && 'message' in item ? `  ${String(item.path)}: ${String(item.message)}` : `  ${JSON.stringify(item)}`))
      .join('\n');
  }
  return `  ${JSON.stringify(details)}`;
}

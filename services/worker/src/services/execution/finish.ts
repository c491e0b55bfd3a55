import type { ExecutionEnd } from '@plz/lifecycle';
import type { RunEndStatus } from '../../adapters/mlflow.js';

/** MLflow status of each end state: succeeded FINISHED, stopped KILLED, failed and error FAILED. */
export const runStatusOf = (state: ExecutionEnd['state']): RunEndStatus => (state === 'succeeded' ? 'FINISHED' : state === 'stopped' ? 'KILLED' : 'FAILED');

/** A one-line account of the end, for the log. */
export function describeEnd(end: ExecutionEnd): string {
  const code = end.exitCode !== null ? ` (exit code ${end.exitCode})` : '';
  return `execution ${end.state}${code}${end.error ? `: ${end.error}` : ''}`;
}

/**
 * Adds notes (something not kept that did not change the outcome: a truncated log, measures past
 * their cap) to the end's `error`: the state stays the job's own (a `succeeded` job keeps its state
 * and gets the note as its `error`), an existing reason comes first.
 */
export function withNotes(end: ExecutionEnd, notes: readonly string[]): ExecutionEnd {
  if (notes.length === 0) return end;
  return { ...end, error: [end.error, ...notes].filter(Boolean).join('; ') };
}

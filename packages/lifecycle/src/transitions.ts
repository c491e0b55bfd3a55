import type { ExecutionState } from '@plz/contracts';

/**
 * Every state change an execution may make (ARCHITECTURE.md §3), as `from → [to…]`. Each
 * conditional UPDATE of `executions.state` is checked against this table (ExecutionStore.move), so
 * a change not listed here is a programming error, refused before reaching the database:
 *
 * - `queued → preparing`: a worker claims it. `queued → stopped | error`: stopped before a worker
 *   took it, or refused (invalid job, could not be enqueued).
 * - `preparing → preparing`: the same worker (redelivery) or one taking over from a dead worker;
 *   `preparing → queued`: released (a transient failure before the job started, or its worker is
 *   gone), so another worker may take it; `preparing → running`: the container started.
 * - `running → harvesting`: the container exited; `harvesting → harvesting`: a harvest cut short
 *   by a restart is redone.
 * - `harvesting → succeeded | failed | stopped | error`: the recorded end.
 * - `preparing | running → stopped | error`: ended early (stop request, container vanished, worker gone).
 * - Terminal states have no way out.
 *
 * A reused execution (ExecutionStore.insertReused) makes no change: it is inserted `succeeded`.
 */
export const transitions: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  queued: ['preparing', 'stopped', 'error'],
  preparing: ['preparing', 'queued', 'running', 'stopped', 'error'],
  running: ['harvesting', 'stopped', 'error'],
  harvesting: ['harvesting', 'succeeded', 'failed', 'stopped', 'error'],
  succeeded: [],
  failed: [],
  stopped: [],
  error: [],
};

/** True when `from → to` is in the table. */
export function canMove(from: ExecutionState, to: ExecutionState): boolean {
  return transitions[from].includes(to);
}

/**
 * The states from which `to` can be reached, out of `candidates` (all states when omitted).
 *
 * @throws Error when one of `candidates` cannot move to `to` (a caller asking for a change the
 *   table does not allow).
 */
export function sourcesOf(to: ExecutionState, candidates?: readonly ExecutionState[]): ExecutionState[] {
  const all = Object.keys(transitions) as ExecutionState[];
  if (!candidates) return all.filter((from) => canMove(from, to));
  const refused = candidates.filter((from) => !canMove(from, to));
  if (refused.length > 0) throw new Error(`execution state change not allowed: ${refused.map((from) => `${from} → ${to}`).join(', ')}`);
  return [...candidates];
}

import type { HistoryEntry } from '@plz/contracts';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/** The history entry of one execution: metadata, parameters, measures and summary (Plz's `history`). */
export function historyEntry(execution: StoredExecution): HistoryEntry {
  const { parameters, measures, summary, user_id: _owner, ...metadata } = execution;
  return { metadata, parameters, measures, summary };
}

/**
 * Every execution of `project`, oldest first, as `[execution id, entry]` pairs, read in batches
 * so that the answer streams whatever the project's size.
 */
export async function* projectHistory(executions: ExecutionsRepository, project: string): AsyncGenerator<[string, HistoryEntry]> {
  for await (const execution of executions.project(project)) yield [execution.id, historyEntry(execution)];
}

import type { HistoryEntry } from '@plz/contracts';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/** The history entry of one execution: metadata, parameters, measures (with the summary at `measures.summary`, as in Plz) and summary (Plz's `history`). */
export function historyEntry(execution: StoredExecution): HistoryEntry {
  const { parameters, measures, summary, user_id: _owner, ...metadata } = execution;
  // Plz's recipes read the summary at `measures.summary` (`jq '.value.measures.summary.max_accuracy'`).
  return { metadata, parameters, measures: summary == null ? measures : { ...measures, summary }, summary };
}

/**
 * Every execution of `project`, oldest first, as `[execution id, entry]` pairs, read in batches
 * so that the answer streams whatever the project's size.
 */
export async function* projectHistory(executions: ExecutionsRepository, project: string): AsyncGenerator<[string, HistoryEntry]> {
  for await (const execution of executions.project(project)) yield [execution.id, historyEntry(execution)];
}

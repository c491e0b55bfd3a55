import type { HistoryEntry } from '@plz/contracts';
import type { ExecutionsRepository, HistoryRow, StoredExecution } from '../../repositories/executions.js';

export type { HistoryRow } from '../../repositories/executions.js';

/**
 * The history entry of one execution: metadata, parameters, measures (with the summary at `measures.summary`, as in Plz) and summary (Plz's `history`).
 * The definition of the entry: ExecutionsRepository.history has PostgreSQL write the same value as JSON text (tested against this).
 */
export function historyEntry(execution: StoredExecution): HistoryEntry {
  const { parameters, measures, summary, user_id: _owner, ...metadata } = execution;
  // Plz's recipes read the summary at `measures.summary` (`jq '.value.measures.summary.max_accuracy'`).
  return { metadata, parameters, measures: summary == null ? measures : { ...measures, summary }, summary };
}

/**
 * Every execution of `project`, oldest first, as `{ id, entry }` with the entry as JSON text
 * (ExecutionsRepository.history: PostgreSQL writes the value historyEntry gives), read in batches
 * by key so that the answer streams whatever the project's size.
 */
export function projectHistory(executions: ExecutionsRepository, project: string): AsyncGenerator<HistoryRow> {
  return executions.history(project);
}

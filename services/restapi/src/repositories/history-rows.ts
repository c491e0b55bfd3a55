import type { ExecutionRow } from './execution-rows.js';
import { toRecord } from './execution-rows.js';

/** One execution of a project's history: its id, its key, and its entry as JSON text. */
export interface HistoryRow {
  id: string;
  /** created_at as UTC text with microseconds (cursorAtSql), the batch key with id. */
  cursor_at: string;
  /** The HistoryEntry as JSON text (historyEntryText), written to the client as it is. */
  entry: string;
}

/**
 * The select list item that brings `measures` as PostgreSQL writes it (jsonb's text, NULL for SQL
 * NULL), read with the record's other columns but measures (recordColumnsWithoutMeasures): pg then
 * parses the small jsonb columns as for any record, and never the measures (2-8 KiB a row, most of
 * a history's bytes), which go to the client as they come.
 */
export const measuresTextSql = 'executions.measures::text AS measures_text';

/** A history row as read: the record's columns (measures NULL), its key, and the measures' text. */
export type HistorySourceRow = ExecutionRow & { cursor_at: string; measures_text: string | null };

/**
 * The history entry of a row as JSON text: the value `historyEntry(toRecord(row))` gives
 * (services/executions/history.ts; tested against it on PostgreSQL), with the measures' text put in
 * as PostgreSQL wrote it (jsonb's spacing, `{"a": 1}`, and numbers as stored) instead of parsed and
 * serialised again. The summary goes last into measures as `{...measures, summary}` does: appended
 * to an object's text; when the measures are not an object, or their text mentions "summary" (a key
 * of that name would be replaced in place), they are parsed and written again (rare).
 *
 * PostgreSQL writing the whole entry (row_to_json, jsonb joined as text) was tried: it moved the
 * API's work into PostgreSQL, 50-70 ms a batch of 500 one statement at a time, and the history
 * took longer end to end (tools/bench/README.md, growth).
 */
export function historyEntryText(row: HistorySourceRow): string {
  const { parameters, summary, user_id: _owner, measures: _none, ...metadata } = toRecord(row);
  const text = row.measures_text === null || row.measures_text === 'null' ? null : row.measures_text;
  let measures: string;
  if (summary === null) measures = text ?? 'null';
  else if (text === null) measures = `{"summary":${JSON.stringify(summary)}}`;
  else if (text.startsWith('{') && !text.includes('"summary"')) measures = text === '{}' ? `{"summary":${JSON.stringify(summary)}}` : `${text.slice(0, -1)}, "summary": ${JSON.stringify(summary)}}`;
  else measures = JSON.stringify({ ...(JSON.parse(text) as object), summary });
  return `{"metadata":${JSON.stringify(metadata)},"parameters":${JSON.stringify(parameters)},"measures":${measures},"summary":${JSON.stringify(summary)}}`;
}

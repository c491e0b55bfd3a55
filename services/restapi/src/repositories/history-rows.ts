import { priorities } from '@plz/contracts';

/** One execution of a project's history as PostgreSQL wrote it: its id, its key, and its entry as JSON text. */
export interface HistoryRow {
  id: string;
  /** created_at as UTC text with microseconds (cursorAtSql), the batch key with id. */
  cursor_at: string;
  /** The HistoryEntry as JSON text (historyEntrySql), written to the client as it is. */
  entry: string;
}

/** A timestamptz column as `toRecord` writes it (`iso`, Date.toISOString): UTC, milliseconds (truncated, as pg's Date parsing does), `Z`; NULL kept. */
function isoSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A jsonb column with JSON `null` read as SQL NULL (pg parses both to null, and toRecord's `??` defaults apply to both). */
function jsonbSql(column: string): string {
  return `NULLIF(${column}, 'null'::jsonb)`;
}

/**
 * The select list item `entry`: the history entry of the row `e` (executions) joined with `u`
 * (users), as JSON text built by PostgreSQL, so that the REST API neither parses the jsonb columns
 * nor serialises the entry. The same value as `historyEntry(toRecord(row))`
 * (services/executions/history.ts, tested against it on PostgreSQL): `metadata` is the record
 * without parameters, measures, summary and user_id, in toRecord's key order, with toRecord's
 * defaults (`tags` [], `parameters` and `resources` {}, JSON null as null), priority by name
 * (contracts `priorities`, by rank) and times as `iso` writes them; `measures` gets the summary
 * as its last key `summary` when there is one (as `{...measures, summary}`: in place when measures
 * has that key already). Measures are an object or null (the worker stores an object).
 *
 * The text is the same JSON value, not the same bytes, as JSON.stringify of that entry: jsonb
 * values come as PostgreSQL writes them (`{"a": 1, "b": [1, 2]}`: a space after `:` and `,`;
 * numbers as stored, `1.0` stays `1.0`; keys in jsonb's order, which is the order JSON.parse
 * gives them except that it puts integer-like keys first, as it did when pg parsed the row).
 *
 * The parts are joined as text (jsonb written once by its output function, never parsed again as
 * json), every part non-NULL.
 *
 * Bindings: one, contracts `priorities` (text[], by rank).
 */
export const historyEntrySql = `'{"metadata":' || (SELECT row_to_json(metadata)::text FROM (SELECT
      e.id, e.project, e.name, COALESCE(${jsonbSql('e.tags')}, '[]'::jsonb) AS tags, u.name AS "user", e.state, e.queue, e.snapshot,
      ${jsonbSql('e.input')} AS input, COALESCE(${jsonbSql('e.resources')}, '{}'::jsonb) AS resources, e.max_run_seconds,
      e.sweep_id, e.rerun_of, e.reused_from, (?::text[])[e.priority + 1] AS priority, e.exit_code, e.error, e.worker_id,
      ${jsonbSql('e.gpus')} AS gpus, e.mlflow_experiment_id, e.mlflow_run_id,
      ${isoSql('e.created_at')} AS created_at, ${isoSql('e.started_at')} AS started_at, ${isoSql('e.finished_at')} AS finished_at
    ) metadata)
  || ',"parameters":' || COALESCE(${jsonbSql('e.parameters')}, '{}'::jsonb)::text
  || ',"measures":' || CASE
      WHEN j.summary IS NULL THEN COALESCE(j.measures::text, 'null')
      WHEN j.measures IS NULL OR jsonb_typeof(j.measures) <> 'object' OR j.measures = '{}'::jsonb THEN '{"summary":' || j.summary_text || '}'
      WHEN jsonb_exists(j.measures, 'summary') THEN jsonb_set(j.measures, '{summary}', j.summary)::text
      ELSE left(j.measures::text, -1) || ', "summary": ' || j.summary_text || '}'
    END
  || ',"summary":' || COALESCE(j.summary_text, 'null') || '}' AS entry`;

/** The bindings of historyEntrySql. */
export const historyEntryBindings: string[][] = [[...priorities]];

/**
 * FROM and JOIN of historyEntrySql: executions `e`, users `u`, and `j`: measures and summary with
 * JSON null as NULL, and the summary's text. Measures (2-8 KiB of JSON, stored compressed) are
 * read out of their compressed form once a row (`#> '{}'`, the value itself, behind `OFFSET 0` so
 * that the planner does not fold it back into each use): each use of the column decompressed it
 * again, and the statement took 2.4 s of PostgreSQL for 12,000 rows instead of about 1 s
 * (COPY … TO '/dev/null', tools/bench/growth.mjs's data).
 */
export const historyFromSql = `executions e
  JOIN users u ON u.id = e.user_id
  CROSS JOIN LATERAL (SELECT e.measures #> '{}' AS measures, e.summary #> '{}' AS summary OFFSET 0) d
  CROSS JOIN LATERAL (SELECT NULLIF(d.measures, 'null'::jsonb) AS measures, NULLIF(d.summary, 'null'::jsonb) AS summary, d.summary::text AS summary_text OFFSET 0) j`;

/** created_at of `e` as the batch key (UTC text with microseconds, as cursorAtSql). */
export const historyCursorSql = `to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

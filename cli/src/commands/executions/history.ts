import { Command } from 'commander';
import { z } from 'zod';
import { parseHistoryLine, type History, type HistoryEntry } from '@plz/contracts';
import type { ApiClient } from '../../api/client.js';
import { ConfigError } from '../../errors.js';
import { openServerSession } from '../common.js';

/**
 * `plz history`: a JSON object from execution id to metadata, parameters and measures, for jq:
 * pretty on a terminal, one execution a line when piped or with --json (Printer.resultObject).
 * Printed as it arrives: the server sends one entry a line (historyEntries), so neither side holds
 * the whole history; a server older than that sends the object at once, printed the same way.
 */
export function historyCommand(): Command {
  return new Command('history')
    .description("print the project's executions as one JSON object (id → metadata, parameters, measures), for jq")
    .option('--project <name>', 'another project than the configured one')
    .action(async function (this: Command) {
      const { project } = z.object({ project: z.string().optional() }).parse(this.opts());
      const { config, api, printer } = openServerSession(this);
      const name = project ?? config.project;
      if (!name) throw new ConfigError('which project? There is no plz.config.json here', 'run it in a project folder, or give --project NAME', 'no_project');
      await printer.resultObject(historyEntries(api, name));
    });
}

/**
 * The history of `project` as `[execution id, entry, entry's JSON text?]`, oldest first, each entry's summary
 * also at `measures.summary` (withSummaryInMeasures). Asks for lines (`Accept:
 * application/x-ndjson`, one HistoryLine each, checked with parseHistoryLine) and yields each as it
 * is read; a server that answers with the whole JSON object (older than lines) is read at once.
 *
 * @throws ApiClientError as ApiClient.request; a ZodError or SyntaxError for a malformed line.
 */
export async function* historyEntries(api: ApiClient, project: string): AsyncGenerator<[string, HistoryEntry, string?]> {
  const response = await api.request('GET', '/api/v1/history', { query: { project }, headers: { accept: 'application/x-ndjson, application/json;q=0.5' } });
  if (!(response.headers.get('content-type') ?? '').startsWith('application/x-ndjson')) {
    yield* Object.entries(withSummaryInMeasures((await response.json()) as History));
    return;
  }
  if (!response.body) return;
  for await (const line of textLines(response.body)) {
    if (!line) continue;
    const { id, entry } = parseHistoryLine(JSON.parse(line));
    const withSummary = summaryInMeasures(entry);
    // The entry's own text, when the line is `{"id":<id>,"entry":<entry>}` as the REST API writes it
    // and the entry needed no change: printed as it came (Printer.resultObject), once checked above.
    const prefix = `{"id":${JSON.stringify(id)},"entry":`;
    yield withSummary === entry && line.startsWith(prefix) && line.endsWith('}') ? [id, entry, line.slice(prefix.length, -1)] : [id, withSummary];
  }
}

/**
 * The lines of a UTF-8 byte stream, without their `\n` (or `\r\n`); the last line also when the
 * stream does not end with a newline. Holds one chunk and one line at a time (readline over
 * Readable.fromWeb did the same with two stream conversions more).
 */
export async function* textLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  const line = (text: string): string => (text.endsWith('\r') ? text.slice(0, -1) : text);
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      yield line(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending) yield line(pending);
}

/**
 * Plz's history recipes read the summary at `.measures.summary`
 * (`plz history | jq '.[].measures.summary.max_accuracy'`): each entry's summary is copied there
 * too, unless the server did it already.
 */
export function withSummaryInMeasures(history: History): History {
  const result: History = {};
  for (const [id, entry] of Object.entries(history)) result[id] = summaryInMeasures(entry);
  return result;
}

/** One history entry with its summary copied to `measures.summary` (withSummaryInMeasures). */
export function summaryInMeasures(entry: HistoryEntry): HistoryEntry {
  const measures = entry.measures ?? {};
  return entry.summary === null || entry.summary === undefined || 'summary' in measures ? entry : { ...entry, measures: { ...measures, summary: entry.summary } };
}

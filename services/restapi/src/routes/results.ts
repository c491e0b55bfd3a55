import { History, MeasuresResponse } from '@plz/contracts';
import { z } from 'zod';
import { clientGone, pipeToResponse, writeChunks } from '../http/streaming.js';
import { route, type AnyRoute } from '../http/route.js';
import type { HistoryRow } from '../services/executions/history.js';
import type { Services } from '../runtime.js';
import { logStreams, type LogStart } from '../services/executions/log-reader.js';
import { errors, Flag, IdParams, OutputPath } from './schemas.js';

const LogsQuery = z
  .object({
    since: z.literal('start').or(z.iso.datetime({ offset: true })).default('start'),
    follow: Flag.default(false),
    /** Comma-separated streams to keep (stdout, stderr, system, build); default all. */
    streams: z
      .string()
      .max(100)
      .transform((text) => text.split(','))
      .pipe(z.array(z.enum(logStreams)).min(1))
      .optional(),
  })
  .strict();

const OutputQuery = z.object({ path: OutputPath.optional() }).strict();
const MeasuresQuery = z.object({ summary: Flag.default(false) }).strict();
const HistoryQuery = z.object({ project: z.string().min(1).max(100) }).strict();

/** Media type of the history as lines (newline-delimited JSON, one HistoryLine each). */
const historyLinesType = 'application/x-ndjson';

/**
 * The history as one JSON object keyed by execution id, each entry's JSON text written as
 * PostgreSQL gave it (ExecutionsRepository.history). The first batch is read before anything is
 * written, so a failing read is still a clean error.
 */
async function* historyObject(entries: AsyncGenerator<HistoryRow>): AsyncGenerator<string> {
  let next = await entries.next();
  yield '{';
  for (let first = true; !next.done; first = false, next = await entries.next()) {
    const { id, entry } = next.value;
    yield `${first ? '' : ','}${JSON.stringify(id)}:${entry}`;
  }
  yield '}';
}

/** The history as lines: `{"id":…,"entry":…}\n` each (HistoryLine, the entry's text as PostgreSQL wrote it); the first batch read before anything is written. */
async function* historyLines(entries: AsyncGenerator<HistoryRow>): AsyncGenerator<string> {
  for await (const { id, entry } of entries) yield `{"id":${JSON.stringify(id)},"entry":${entry}}\n`;
}

/**
 * Joins small chunks into writes of about `bytes` (64 KiB), so that a history of 10,000 entries is
 * some hundreds of socket writes rather than 10,000; never holds more than one such write.
 */
async function* coalesce(chunks: AsyncIterable<string>, bytes = 64 * 1024): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= bytes) {
      yield pending;
      pending = '';
    }
  }
  if (pending) yield pending;
}

/** `first` (the first result taken from `rest`), then the rest of `rest`; ending early ends `rest`. */
async function* after<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    if (first.done) return;
    yield first.value;
    yield* rest;
  } finally {
    await rest.return(undefined); // a client gone after the first write ends the reads too
  }
}

/** Logs, output files, measures and the history of a project. */
export function resultRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/executions/:id/logs',
      tag: 'results',
      summary: "An execution's log as text",
      description:
        'While it runs: the live log; with `follow=true` the answer goes on until the execution ends. ' +
        'Once over: the stored log. `since` is `start` (default) or an ISO 8601 time. `streams` keeps only the lines of ' +
        'these streams (`stdout,stderr,system` leaves the image build out, as `quiet_build` asks); the stored log of an ' +
        'ended execution knows no streams, so once its live stream has expired every line comes.',
      access: 'user',
      params: IdParams,
      query: LogsQuery,
      responses: { 200: { description: 'The log, line by line', contentType: 'text/plain' }, ...errors(400, 401, 404) },
      handle: async ({ params, query, res }) => {
        const start: LogStart = query.since === 'start' ? { from: 'start' } : { from: 'time', ms: Date.parse(query.since) };
        const chunks = await services.logs.open(params.id, start, query.follow, clientGone(res), query.streams ? new Set(query.streams) : 'all');
        res.status(200);
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('X-Accel-Buffering', 'no'); // NGINX: pass followed lines at once
        res.flushHeaders();
        await writeChunks(res, chunks);
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/executions/:id/output',
      tag: 'results',
      summary: "An execution's output files as a tar stream",
      description: '`path` limits it to one file or folder of the output (names in the tar stay relative to the output folder).',
      access: 'user',
      params: IdParams,
      query: OutputQuery,
      responses: { 200: { description: 'A tar archive', contentType: 'application/x-tar' }, ...errors(400, 401, 404) },
      handle: async ({ params, query, res }) => {
        const tar = await services.outputs.execution(params.id, query.path);
        res.status(200);
        res.setHeader('Content-Type', 'application/x-tar');
        res.setHeader('Content-Disposition', `attachment; filename="${params.id}-output.tar"`);
        await pipeToResponse(tar, res);
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/executions/:id/measures',
      tag: 'results',
      summary: "An execution's measures, or only its summary",
      access: 'user',
      params: IdParams,
      query: MeasuresQuery,
      responses: { 200: { description: 'Measures (null until harvested)', schema: MeasuresResponse }, ...errors(400, 401, 404) },
      handle: async ({ params, query }) => ({ status: 200, body: await services.queries.measures(params.id, query.summary) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/history',
      tag: 'results',
      summary: 'Every execution of a project: an object from execution id to metadata, parameters, measures and summary',
      description:
        'Streamed, oldest first, read in batches by key (memory stays flat whatever the size). With `Accept: application/x-ndjson` ' +
        'the same entries come as one JSON object a line, `{"id": ..., "entry": {...}}` (HistoryLine), which a client can print ' +
        'as it reads; otherwise one JSON object keyed by execution id.',
      access: 'user',
      query: HistoryQuery,
      responses: { 200: { description: 'Keyed by execution id, oldest first', schema: History }, ...errors(400, 401) },
      handle: async ({ query, req, res }) => {
        const lines = req.accepts(['application/json', historyLinesType]) === historyLinesType;
        const chunks = coalesce(lines ? historyLines(services.history(query.project)) : historyObject(services.history(query.project)));
        // The first write needs the first batch read: a failing read throws here, before any header, so the
        // error handler answers it as JSON with its own status and type.
        const first = await chunks.next();
        res.status(200);
        res.setHeader('Content-Type', lines ? `${historyLinesType}; charset=utf-8` : 'application/json; charset=utf-8');
        await writeChunks(res, after(first, chunks));
      },
    }),
  ];
}

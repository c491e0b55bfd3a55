import { artifactPaths, isTerminal, logEndField, runArtifactPrefix } from '@plz/contracts';
import type { Readable } from 'node:stream';
import { compareEntryIds, LogStream, type LogEntry } from '@plz/lifecycle';
import { LogFanout } from './log-fanout.js';
import type { ObjectStore } from '../../adapters/object-store.js';
import type { Redis } from '../../adapters/redis.js';
import { notFound } from '../../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/** Where a log read starts: the beginning, or the first line logged at or after a time (ms since epoch). */
export type LogStart = { from: 'start' } | { from: 'time'; ms: number };

/** The streams of a log's lines, as the worker writes them (field `stream` of each entry). */
export const logStreams = ['stdout', 'stderr', 'system', 'build'] as const;
export type LogStreamName = (typeof logStreams)[number];

/** Which lines a read returns: every stream, or only these (e.g. without `build`, for `quiet_build`). */
export type LogFilter = ReadonlySet<LogStreamName> | 'all';

/** Tuning of log reads. */
export interface LogReaderOptions {
  /** How long one XREAD BLOCK waits before the execution's state is checked again, ms. */
  blockMs: number;
  /** Entries read per Redis call. */
  pageSize: number;
  /** Entries one follower may have waiting (a slow client) before it re-reads the stream itself. */
  maxQueued: number;
}

/** A log read as chunks of text (or bytes, from the stored log). */
export type LogChunks = AsyncGenerator<string | Buffer>;

const defaults: LogReaderOptions = { blockMs: 5_000, pageSize: 500, maxQueued: 5_000 };

function lineOf(entry: LogEntry): string {
  const line = entry.fields['line'] ?? '';
  return line.endsWith('\n') ? line : `${line}\n`;
}

/** True when the filter keeps the entry (entries without a stream count as stdout). */
function kept(entry: LogEntry, filter: LogFilter): boolean {
  return filter === 'all' || filter.has((entry.fields['stream'] ?? 'stdout') as LogStreamName);
}

/**
 * Reads execution logs (ARCHITECTURE.md §3, brief "Live logs"): while the execution runs, from
 * its Redis stream `plz:logs:<id>` (optionally following new lines until the `end` entry, every
 * follower of this process through one shared Redis reader, LogFanout); once it
 * is over, from the stored artifact `logs/execution.log` of its MLflow run when present, else from
 * the stream.
 */
export class LogReader {
  private readonly options: LogReaderOptions;

  private readonly fanout: LogFanout;

  /** `onError`: failures of the shared reader of followed logs (it retries after a second). */
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly redis: Redis,
    private readonly store: ObjectStore,
    private readonly mlflowBucket: string,
    options: Partial<LogReaderOptions> = {},
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.options = { ...defaults, ...options };
    this.fanout = new LogFanout(redis, { blockMs: Math.min(this.options.blockMs, 1_000), pageSize: this.options.pageSize, maxQueued: this.options.maxQueued }, onError);
  }

  /** Followed logs now: executions read and their followers (all share one Redis connection). */
  get following(): { executions: number; followers: number } {
    return this.fanout.size;
  }

  /** Stops the shared reader of followed logs and closes its connection. */
  close(): Promise<void> {
    return this.fanout.close();
  }

  /**
   * Opens the log of execution `id`. Checks that it exists before returning, so that a 404 can
   * still be answered; the chunks come afterwards. Aborting `signal` ends a follow promptly.
   * `filter` keeps only some streams' lines: the live stream knows each line's stream; the stored
   * log does not, so a filtered read of an ended execution uses the stream while it still exists
   * (it expires after the end), else the whole stored log.
   *
   * @throws AppError `not_found`.
   */
  async open(id: string, start: LogStart, follow: boolean, signal: AbortSignal, filter: LogFilter = 'all'): Promise<LogChunks> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    if (isTerminal(execution.state)) return this.stored(execution, start, filter);
    return this.live(id, start, follow, signal, filter);
  }

  /**
   * The end of execution `id`'s log for a page: at most `maxBytes` bytes of text (UTF-8; a line cut
   * at the start is dropped), from the stored log once the execution is over, else the last
   * `maxLines` lines of the live stream. `truncated` says that earlier lines were left out.
   *
   * @throws AppError `not_found`.
   */
  async tail(id: string, maxBytes = 64 * 1024, maxLines = 1000): Promise<{ text: string; truncated: boolean }> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    return this.tailOf(execution, maxBytes, maxLines);
  }

  /** `tail` of an execution already read (the web view's execution page reads it once for all its parts). */
  async tailOf(execution: StoredExecution, maxBytes = 64 * 1024, maxLines = 1000): Promise<{ text: string; truncated: boolean }> {
    const id = execution.id;
    if (isTerminal(execution.state) && execution.mlflow_experiment_id && execution.mlflow_run_id) {
      const key = `${runArtifactPrefix(execution.mlflow_experiment_id, execution.mlflow_run_id)}${artifactPaths.log}`;
      const end = await this.store.readEnd(this.mlflowBucket, key, maxBytes);
      if (end) {
        const truncated = end.size > end.body.length;
        let text = end.body.toString('utf8');
        if (truncated) text = text.slice(text.indexOf('\n') + 1);
        return { text, truncated };
      }
    }
    const entries = (await new LogStream(this.redis).last(id, maxLines + 1)).filter((entry) => !(logEndField in entry.fields));
    const lines = entries.slice(-maxLines).map(lineOf);
    let truncated = entries.length > maxLines;
    while (lines.length > 1 && Buffer.byteLength(lines.join('')) > maxBytes) {
      lines.shift();
      truncated = true;
    }
    return { text: lines.join(''), truncated };
  }

  private async *stored(execution: StoredExecution, start: LogStart, filter: LogFilter): LogChunks {
    // The stored log has neither times nor streams: such reads use the stream while it still exists.
    const preferStream = (start.from === 'time' || filter !== 'all') && (await new LogStream(this.redis).length(execution.id)) > 0;
    if (!preferStream && execution.mlflow_experiment_id && execution.mlflow_run_id) {
      const key = `${runArtifactPrefix(execution.mlflow_experiment_id, execution.mlflow_run_id)}${artifactPaths.log}`;
      const body: Readable | null = await this.store.read(this.mlflowBucket, key);
      if (body) {
        for await (const chunk of body) yield chunk as Buffer;
        return;
      }
    }
    yield* this.range(execution.id, start, filter);
  }

  /** Entries from `start` to the current end of the stream (or its `end` entry). Returns the last id read. */
  private async *range(id: string, start: LogStart, filter: LogFilter, after?: string): AsyncGenerator<string, { last: string | undefined; ended: boolean }> {
    let bound = after ? `(${after}` : start.from === 'start' ? '-' : String(start.ms);
    let last = after;
    for (;;) {
      const entries = await new LogStream(this.redis).range(id, bound, this.options.pageSize);
      for (const entry of entries) {
        if (logEndField in entry.fields) return { last: entry.id, ended: true };
        last = entry.id;
        if (kept(entry, filter)) yield lineOf(entry);
      }
      if (entries.length < this.options.pageSize) return { last, ended: false };
      bound = `(${last}`;
    }
  }

  private async *live(id: string, start: LogStart, follow: boolean, signal: AbortSignal, filter: LogFilter): LogChunks {
    const read = yield* this.range(id, start, filter);
    if (!follow || read.ended) return;
    // The stream is read from after this id: before the first line wanted.
    let after = read.last ?? (start.from === 'start' ? '0-0' : `${Math.max(0, start.ms - 1)}-18446744073709551615`);
    const follower = this.fanout.follow(id, after);
    try {
      // Lines added between the read above and joining the shared reader.
      const caught = yield* this.range(id, start, filter, after);
      if (caught.ended) return;
      after = caught.last ?? after;
      while (!signal.aborted) {
        const batch = await follower.next(this.options.blockMs, signal);
        if (signal.aborted) return;
        if (batch.resync) {
          const again = yield* this.range(id, start, filter, after);
          if (again.ended) return;
          after = again.last ?? after;
          continue;
        }
        if (batch.entries.length === 0) {
          // No line for a while: the worker may have died without an `end` entry.
          const status = await this.executions.status(id);
          if (!status || isTerminal(status.state)) {
            yield* this.range(id, start, filter, after);
            return;
          }
          continue;
        }
        // One write per batch: a line reaches many followers at once, so writes, not reads, cost.
        let text = '';
        let ended = false;
        for (const entry of batch.entries) {
          if (compareEntryIds(entry.id, after) <= 0) continue; // read already
          if (logEndField in entry.fields) {
            ended = true;
            break;
          }
          after = entry.id;
          if (kept(entry, filter)) text += lineOf(entry);
        }
        if (text) yield text;
        if (ended) return;
      }
    } finally {
      follower.close();
    }
  }
}

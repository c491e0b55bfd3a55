import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogLine as LogEntry, LogStream as RedisLogStream } from '@plz/lifecycle';
import type { Logger } from '../../logger.js';
import { formatBytes } from '../container/limits.js';
import { LineSplitter } from './dockerLogs.js';

/** Entries waiting for Redis beyond this many are dropped from the live log (the file keeps all). */
const maxPendingEntries = 20_000;
/** Retry period of a failed flush. */
const retryIntervalMs = 1_000;

/**
 * The log of one execution, written two ways: every line, live, into the Redis stream
 * `plz:logs:<id>` (sent at once; lines arriving while a send is under way go together in the next
 * pipeline; bounded memory when Redis is slow), and everything into a
 * local file that becomes the `logs/execution.log` artifact at the end. Job output goes to the file
 * as the job wrote it; build lines as Docker printed them; the worker's own lines start with `[plz] `.
 *
 * Size cap (`maxBytes`, JOB_LOG_MAX_BYTES): build lines and job output past it are not kept, in the
 * file nor the live stream; one `[plz]` line says so where it happened, and `truncatedAt` tells the
 * end of the execution to note it in its `error` (finishExecution). The job goes on. The worker's
 * own lines are always kept (few, and they carry the end).
 */
export class ExecutionLog {
  readonly #file: WriteStream;
  readonly #splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  #pending: LogEntry[] = [];
  #dropped = 0;
  #flushing: Promise<void> | undefined;
  #closed = false;
  #scheduled = false;
  readonly #timer: NodeJS.Timeout;
  #bytes: number;
  #truncatedAt: number | undefined;

  private constructor(
    readonly executionId: string,
    readonly filePath: string,
    private readonly stream: RedisLogStream,
    private readonly logger: Logger,
    append: boolean,
    private readonly maxBytes: number,
    existingBytes: number,
  ) {
    this.#bytes = existingBytes;
    this.#file = createWriteStream(filePath, { flags: append ? 'a' : 'w' });
    this.#file.on('error', (error) => logger.error({ err: error }, 'cannot write the execution log file'));
    this.#timer = setInterval(() => void this.flush(), retryIntervalMs);
    this.#timer.unref();
  }

  /**
   * Opens the log of `executionId` in `directory` (`<id>.log`). `append: false` starts the file
   * afresh (a new execution, or a re-attach that rewrites it from the container's own log).
   * `maxBytes`: the size cap of build lines and job output (JOB_LOG_MAX_BYTES).
   */
  static async open(directory: string, executionId: string, stream: RedisLogStream, logger: Logger, options: { maxBytes: number; append?: boolean }): Promise<ExecutionLog> {
    await mkdir(directory, { recursive: true });
    const filePath = path.join(directory, `${executionId}.log`);
    const existing = options.append ? await stat(filePath).then((stats) => stats.size, () => 0) : 0;
    return new ExecutionLog(executionId, filePath, stream, logger, options.append ?? false, options.maxBytes, existing);
  }

  /** The cap in bytes at which build lines and job output stopped being kept; undefined when not reached. */
  get truncatedAt(): number | undefined {
    return this.#truncatedAt;
  }

  /**
   * Takes as much of `text` as fits under the cap (whole when it fits; cut at a byte boundary,
   * which may split a character, when it does not), counting it; the first cut writes the notice.
   */
  #fit(text: string): string {
    if (this.#truncatedAt !== undefined) return '';
    const bytes = Buffer.byteLength(text);
    if (this.#bytes + bytes <= this.maxBytes) {
      this.#bytes += bytes;
      return text;
    }
    const room = Math.max(0, this.maxBytes - this.#bytes);
    const kept = Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
    this.#bytes = this.maxBytes;
    this.#truncatedAt = this.maxBytes;
    return kept;
  }

  #noticeTruncation(): void {
    const line = `the log was truncated at ${this.maxBytes} bytes (JOB_LOG_MAX_BYTES = ${formatBytes(this.maxBytes)}): later build and job output is not kept; the job goes on`;
    this.#file.write(`\n[plz] ${line}\n`);
    this.#queue({ stream: 'system', line });
  }

  /** A line of the worker's own (stream `system`). */
  system(line: string): void {
    if (this.#closed) return;
    this.#file.write(`[plz] ${line}\n`);
    this.#queue({ stream: 'system', line });
  }

  /** A line of the image build (stream `build`). */
  build(line: string): void {
    if (this.#closed || this.#truncatedAt !== undefined) return;
    const kept = this.#fit(`${line}\n`);
    if (kept) {
      this.#file.write(kept);
      this.#queue({ stream: 'build', line: kept.replace(/\n$/, '') });
    }
    if (this.#truncatedAt !== undefined) this.#noticeTruncation();
  }

  /**
   * Output of the job: written to the file as it is; when `live`, its complete lines also go to
   * the live stream (false for lines already streamed before a worker restart).
   */
  output(stream: 'stdout' | 'stderr', text: string, live = true): void {
    if (this.#closed || this.#truncatedAt !== undefined) return;
    const kept = this.#fit(text);
    this.#file.write(kept);
    const lines = this.#splitters[stream].push(kept);
    if (this.#truncatedAt !== undefined) lines.push(...this.#splitters[stream].end());
    if (live) for (const line of lines) this.#queue({ stream, line });
    if (this.#truncatedAt !== undefined) this.#noticeTruncation();
  }

  #queue(entry: LogEntry): void {
    if (this.#pending.length >= maxPendingEntries) {
      this.#pending.shift();
      this.#dropped += 1;
    }
    this.#pending.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
  }

  /**
   * Sends the queued lines to Redis, one pipeline after the other until none is left; lines queued
   * meanwhile join the next pipeline. A failure is logged and the lines are kept for the next try
   * (every second). Resolves when the queue is empty or a send failed.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#dropped > 0) {
      const batch = this.#pending;
      const dropped = this.#dropped;
      this.#pending = [];
      this.#dropped = 0;
      const notice: LogEntry[] = dropped ? [{ stream: 'system', line: `${dropped} lines were left out of the live log (all are in the full log)` }] : [];
      try {
        await this.stream.append(this.executionId, [...notice, ...batch]);
      } catch (error) {
        this.logger.warn({ err: error }, 'cannot append to the live log; will retry');
        this.#pending = [...batch, ...this.#pending].slice(-maxPendingEntries);
        this.#dropped += dropped;
        return;
      }
    }
  }

  /** Ends unfinished output lines, sends everything, and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const stream of ['stdout', 'stderr'] as const) for (const line of this.#splitters[stream].end()) this.#queue({ stream, line });
    await this.flush();
    await new Promise<void>((resolve) => this.#file.end(resolve));
  }

  /** Sends what is queued and closes the file, leaving unfinished lines (the worker detaches from a running job). */
  async detach(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush().catch(() => undefined);
    await new Promise<void>((resolve) => this.#file.end(resolve));
  }
}

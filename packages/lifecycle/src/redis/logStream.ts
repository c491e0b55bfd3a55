import type { Redis } from 'ioredis';
import { logEndField, logStreamKey, logStreamMaxLength, type LogStreamName } from '@plz/contracts';

/**
 * Seconds an ended execution's live log stays in Redis (the full log is the run's artifact; the
 * stream serves reads by time or stream a while after the end): a day, so that Redis's memory
 * (maxmemory in the deployment's redis-config) holds the queues and a day of logs.
 */
export const logStreamTtlSeconds = 24 * 3600;

/** One live log line (fields `stream` and `line` of `plz:logs:<id>`, contracts keys.ts). */
export interface LogLine {
  stream: LogStreamName;
  line: string;
}

/** One entry of a log stream as read: its id (`<ms>-<seq>`) and fields (`stream`, `line`, or `end`). */
export interface LogEntry {
  id: string;
  fields: Record<string, string>;
}

/**
 * Orders two stream entry ids (`<ms>-<seq>`, Redis streams): negative when `a` comes first, 0 when
 * equal, positive after.
 */
export function compareEntryIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

function toEntries(raw: Array<[string, string[]]>): LogEntry[] {
  return raw.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

/**
 * The live log of executions: a Redis stream per execution (`plz:logs:<id>`), capped near
 * `logStreamMaxLength` entries, written by the worker, ended by whoever records the end (worker or
 * REST API) with an `end` entry, after which it expires in `logStreamTtlSeconds`.
 */
export class LogStream {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number = logStreamTtlSeconds,
  ) {}

  /** XADD each line (MAXLEN ~ cap) in one pipeline, in order. */
  async append(executionId: string, lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const key = logStreamKey(executionId);
    const pipeline = this.redis.pipeline();
    for (const entry of lines) pipeline.xadd(key, 'MAXLEN', '~', logStreamMaxLength, '*', 'stream', entry.stream, 'line', entry.line);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** Adds the final entry (field `end` = the terminal state, so followers stop) and lets the stream expire. */
  async end(executionId: string, state: string): Promise<void> {
    const key = logStreamKey(executionId);
    const results = await this.redis.multi().xadd(key, 'MAXLEN', '~', logStreamMaxLength, '*', logEndField, state).expire(key, this.ttlSeconds).exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /**
   * Up to `count` entries from `start` (an XRANGE bound: `-`, `<ms>`, or `(<id>` for "after this
   * id"), oldest first.
   */
  async range(executionId: string, start: string, count: number): Promise<LogEntry[]> {
    return toEntries((await this.redis.xrange(logStreamKey(executionId), start, '+', 'COUNT', count)) as Array<[string, string[]]>);
  }

  /** The last `count` entries (XREVRANGE), oldest first: the end of a log, as a page shows it. */
  async last(executionId: string, count: number): Promise<LogEntry[]> {
    return toEntries((await this.redis.xrevrange(logStreamKey(executionId), '+', '-', 'COUNT', count)) as Array<[string, string[]]>).reverse();
  }

  /**
   * Waits up to `blockMs` for entries after `afterId` (XREAD BLOCK). Blocks its connection: build
   * this LogStream on a connection of its own (`redis.duplicate()`).
   */
  async waitFor(executionId: string, afterId: string, blockMs: number, count: number): Promise<LogEntry[]> {
    const answer = (await this.redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', logStreamKey(executionId), afterId)) as Array<[string, Array<[string, string[]]>]> | null;
    return answer?.[0] ? toEntries(answer[0][1]) : [];
  }

  /**
   * Waits up to `blockMs` for entries of several executions' logs at once (one XREAD BLOCK over
   * their streams), each after its own entry id (`after`: execution id → entry id), at most `count`
   * per stream. Returns the entries by execution id (executions without new entries are absent).
   * Blocks its connection: build this LogStream on a connection of its own.
   */
  async waitForMany(after: ReadonlyMap<string, string>, blockMs: number, count: number): Promise<Map<string, LogEntry[]>> {
    const ids = [...after.keys()];
    const byKey = new Map(ids.map((id) => [logStreamKey(id), id]));
    const answer = (await this.redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...byKey.keys(), ...ids.map((id) => after.get(id)!))) as Array<[string, Array<[string, string[]]>]> | null;
    const found = new Map<string, LogEntry[]>();
    for (const [key, raw] of answer ?? []) {
      const id = byKey.get(key);
      if (id !== undefined) found.set(id, toEntries(raw));
    }
    return found;
  }

  /** Number of entries (0 when the stream does not exist). */
  async length(executionId: string): Promise<number> {
    return this.redis.xlen(logStreamKey(executionId));
  }

  /** Seconds until the stream expires: -1 without expiry, -2 when it does not exist (Redis TTL). */
  async ttl(executionId: string): Promise<number> {
    return this.redis.ttl(logStreamKey(executionId));
  }

  /**
   * Time (ms since the epoch, from the entry id) of the last stdout or stderr entry among the last
   * 1000; undefined when there is none. A re-attached worker streams only the container's lines
   * written after it, so nothing is shown twice.
   */
  async lastOutputTime(executionId: string): Promise<number | undefined> {
    for (const entry of toEntries((await this.redis.xrevrange(logStreamKey(executionId), '+', '-', 'COUNT', 1000)) as Array<[string, string[]]>)) {
      const stream = entry.fields['stream'];
      if (stream === 'stdout' || stream === 'stderr') return Number(entry.id.split('-')[0]);
    }
    return undefined;
  }
}

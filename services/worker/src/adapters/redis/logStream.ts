import type { Redis } from 'ioredis';
import { logEndField, logStreamKey, logStreamMaxLength, type LogStreamName } from '@plz/contracts';

/** One live log line (contracts: fields `stream` and `line` of `plz:logs:<id>`). */
export interface LogEntry {
  stream: LogStreamName;
  line: string;
}

/** The live log of executions: a Redis stream per execution, capped near `logStreamMaxLength` entries. */
export class RedisLogStream {
  constructor(private readonly redis: Redis) {}

  /** XADD each entry (MAXLEN ~ cap) in one pipeline, in order. */
  async append(executionId: string, entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const key = logStreamKey(executionId);
    const pipeline = this.redis.pipeline();
    for (const entry of entries) pipeline.xadd(key, 'MAXLEN', '~', logStreamMaxLength, '*', 'stream', entry.stream, 'line', entry.line);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** XADD the final entry (field `end` = the final state) and let the stream expire after `ttlSeconds`. */
  async end(executionId: string, state: string, ttlSeconds: number): Promise<void> {
    const key = logStreamKey(executionId);
    await this.redis.multi().xadd(key, 'MAXLEN', '~', logStreamMaxLength, '*', logEndField, state).expire(key, ttlSeconds).exec();
  }

  /**
   * Time (ms since the epoch, from the entry id) of the last stdout or stderr entry, looking at
   * the last 1000 entries; undefined when there is none. A re-attached worker streams only the
   * container's lines written after it, so nothing is shown twice.
   */
  async lastOutputTime(executionId: string): Promise<number | undefined> {
    const entries = await this.redis.xrevrange(logStreamKey(executionId), '+', '-', 'COUNT', 1000);
    for (const [id, fields] of entries) {
      const streamIndex = fields.indexOf('stream');
      const stream = streamIndex >= 0 && streamIndex % 2 === 0 ? fields[streamIndex + 1] : undefined;
      if (stream === 'stdout' || stream === 'stderr') return Number(id.split('-')[0]);
    }
    return undefined;
  }
}

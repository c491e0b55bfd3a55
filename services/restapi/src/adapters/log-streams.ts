import { logEndField, logStreamKey, logStreamMaxLength } from '@plz/contracts';
import type { Redis } from 'ioredis';

/** One entry of an execution's log stream: its id (`<ms>-<seq>`) and fields (`stream`, `line`, or `end`). */
export interface LogEntry {
  id: string;
  fields: Record<string, string>;
}

function toEntries(raw: Array<[string, string[]]>): LogEntry[] {
  return raw.map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

/**
 * Up to `count` entries of the log stream of `executionId` from `start` (an XRANGE bound: `-`,
 * `<ms>`, or `(<id>` for "after this id"), oldest first.
 */
export async function readLogRange(redis: Redis, executionId: string, start: string, count: number): Promise<LogEntry[]> {
  const raw = (await redis.xrange(logStreamKey(executionId), start, '+', 'COUNT', count)) as Array<[string, string[]]>;
  return toEntries(raw);
}

/**
 * Waits up to `blockMs` for entries after `afterId` (XREAD BLOCK). Blocks its connection: give it a
 * connection of its own (`redis.duplicate()`).
 */
export async function waitForLogEntries(redis: Redis, executionId: string, afterId: string, blockMs: number, count: number): Promise<LogEntry[]> {
  const answer = (await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', logStreamKey(executionId), afterId)) as Array<[string, Array<[string, string[]]>]> | null;
  return answer?.[0] ? toEntries(answer[0][1]) : [];
}

/** Number of entries in the log stream (0 when it does not exist). */
export async function logLength(redis: Redis, executionId: string): Promise<number> {
  return redis.xlen(logStreamKey(executionId));
}

/** Adds the final `end` entry (value: the terminal state) so that followers of the log stop. */
export async function appendLogEnd(redis: Redis, executionId: string, state: string): Promise<void> {
  await redis.xadd(logStreamKey(executionId), 'MAXLEN', '~', logStreamMaxLength, '*', logEndField, state);
}

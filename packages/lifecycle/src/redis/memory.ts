import type { Redis } from 'ioredis';

/** Redis memory as INFO reports it: bytes used, the `maxmemory` limit (0: none) and its policy. */
export interface RedisMemory {
  usedBytes: number;
  maxBytes: number;
  policy: string;
  /** used / max, 0 when there is no limit. */
  ratio: number;
}

/** Share of `maxmemory` above which Redis is under memory pressure (readiness reports it). */
export const memoryPressureRatio = 0.9;

/**
 * Reads `INFO memory` (fields `used_memory`, `maxmemory`, `maxmemory_policy`:
 * https://redis.io/docs/latest/commands/info/).
 */
export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const usedBytes = Number(field('used_memory')) || 0;
  const maxBytes = Number(field('maxmemory')) || 0;
  return { usedBytes, maxBytes, policy: field('maxmemory_policy'), ratio: maxBytes > 0 ? usedBytes / maxBytes : 0 };
}

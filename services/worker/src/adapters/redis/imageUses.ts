import type { Redis } from 'ioredis';
import { jobImageUsesKey } from '@plz/contracts';

/**
 * Last use of each job image on one Docker host, shared by the workers of that host: the sorted
 * set `plz:job-images:<docker engine id>` (member the tag, score ms since the epoch).
 */
export class ImageUses {
  constructor(
    private readonly redis: Redis,
    private readonly engineId: string,
  ) {}

  /** Records that `tag` was used at `atMs` (a later use is never replaced by an earlier one: ZADD GT). */
  async record(tag: string, atMs: number): Promise<void> {
    await this.redis.zadd(jobImageUsesKey(this.engineId), 'GT', atMs, tag);
  }

  /** Every recorded tag with its last use, ms since the epoch. */
  async all(): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(jobImageUsesKey(this.engineId), 0, -1, 'WITHSCORES');
    const uses = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) uses.set(flat[i]!, Number(flat[i + 1]));
    return uses;
  }

  /** Forgets tags (removed images). */
  async forget(tags: readonly string[]): Promise<void> {
    if (tags.length > 0) await this.redis.zrem(jobImageUsesKey(this.engineId), ...tags);
  }
}

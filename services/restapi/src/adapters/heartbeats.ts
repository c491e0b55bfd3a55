import { WorkerHeartbeat, workerKey, workerKeyPattern } from '@plz/contracts';
import type { Redis } from 'ioredis';

/**
 * Reads every live worker heartbeat: the hashes `plz:workers:<worker_id>` (keys.ts), which expire
 * 30 s after a worker's last beat, so an existing key is a live worker. Hashes that do not parse
 * (a worker of another version, a half-written hash) are left out.
 */
export async function readHeartbeats(redis: Redis): Promise<WorkerHeartbeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', workerKeyPattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of new Set(keys)) pipeline.hgetall(key);
  const answers = (await pipeline.exec()) ?? [];
  const heartbeats: WorkerHeartbeat[] = [];
  for (const [error, hash] of answers) {
    if (error) continue;
    const parsed = WorkerHeartbeat.safeParse(hash);
    if (parsed.success) heartbeats.push(parsed.data);
  }
  return heartbeats.sort((a, b) => a.worker_id.localeCompare(b.worker_id));
}

/**
 * Whether the worker `workerId` is alive: its heartbeat hash `plz:workers:<id>` exists (workers
 * refresh it every 5 s; it expires 30 s after the last one, keys.ts). One EXISTS, no scan.
 */
export async function workerAlive(redis: Redis, workerId: string): Promise<boolean> {
  return (await redis.exists(workerKey(workerId))) === 1;
}

import type { Redis } from 'ioredis';
import { heartbeatFields, heartbeatTtlSeconds, WorkerHeartbeat, workerKey, workerKeyPattern, workersLastSeenKey, type HeartbeatInput } from '@plz/contracts';

/** What a worker says about itself in its heartbeat (contracts HeartbeatInput), the time of the beat now when omitted. */
export type HeartbeatState = Omit<HeartbeatInput, 'heartbeat_at'> & { heartbeat_at?: Date | undefined };

/**
 * Writes the hash `plz:workers:<id>` with a fresh `heartbeat_at` and a TTL of
 * `heartbeatTtlSeconds` (30 s), and the worker's last-seen time (`plz:workers-last-seen`, no TTL),
 * in one transaction.
 *
 * @throws the Redis error when the write failed.
 */
export async function writeHeartbeat(redis: Redis, state: HeartbeatState): Promise<void> {
  const key = workerKey(state.worker_id);
  const at = (state.heartbeat_at ?? new Date()).toISOString();
  const { heartbeat_at: _at, ...rest } = state;
  const fields = heartbeatFields({ ...rest, heartbeat_at: at });
  const results = await redis.multi().hset(key, fields).expire(key, heartbeatTtlSeconds).hset(workersLastSeenKey, state.worker_id, at).exec();
  const failed = results?.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
}

/** Deletes the worker's heartbeat (graceful shutdown: the REST API stops counting it at once). */
export async function removeHeartbeat(redis: Redis, workerId: string): Promise<void> {
  await redis.del(workerKey(workerId));
}

/** Whether the worker is alive: its heartbeat hash exists (it expires 30 s after the last beat). One EXISTS. */
export async function isAlive(redis: Redis, workerId: string): Promise<boolean> {
  return (await redis.exists(workerKey(workerId))) === 1;
}

/** When the worker last wrote a heartbeat, or undefined when Redis has no record of it. */
export async function lastSeen(redis: Redis, workerId: string): Promise<Date | undefined> {
  const value = await redis.hget(workersLastSeenKey, workerId);
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(time) ? new Date(time) : undefined;
}

/**
 * Every live worker heartbeat (hashes `plz:workers:*`), sorted by worker id. Hashes that do not
 * parse (a worker of another version, a half-written hash) are left out.
 */
export async function readHeartbeats(redis: Redis): Promise<WorkerHeartbeat[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', workerKeyPattern, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) keys.add(key);
  } while (cursor !== '0');
  if (keys.size === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const heartbeats: WorkerHeartbeat[] = [];
  for (const [error, hash] of (await pipeline.exec()) ?? []) {
    if (error) continue;
    const parsed = WorkerHeartbeat.safeParse(hash);
    if (parsed.success) heartbeats.push(parsed.data);
  }
  return heartbeats.sort((a, b) => a.worker_id.localeCompare(b.worker_id));
}

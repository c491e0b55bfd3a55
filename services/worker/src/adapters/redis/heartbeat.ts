import type { Redis } from 'ioredis';
import { heartbeatFields, heartbeatTtlSeconds, workerKey, type HeartbeatLimits } from '@plz/contracts';

/** What a worker says about itself in its heartbeat (contracts heartbeat.ts). */
export interface HeartbeatState {
  worker_id: string;
  queue: string;
  gpus: readonly string[];
  execution_id: string | null;
  hostname: string;
  started_at: string;
  /** The worker's job limits (defaults and maxima), for the REST API's check at submit. */
  limits: HeartbeatLimits;
}

/** Writes the hash `plz:workers:<id>` with a fresh `heartbeat_at` and a TTL of `heartbeatTtlSeconds`. */
export async function writeHeartbeat(redis: Redis, state: HeartbeatState): Promise<void> {
  const key = workerKey(state.worker_id);
  const fields = heartbeatFields({ ...state, heartbeat_at: new Date().toISOString() });
  const results = await redis.multi().hset(key, fields).expire(key, heartbeatTtlSeconds).exec();
  const failed = results?.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
}

/** Deletes the worker's heartbeat (graceful shutdown: the REST API stops counting it at once). */
export async function removeHeartbeat(redis: Redis, workerId: string): Promise<void> {
  await redis.del(workerKey(workerId));
}

/** True when the worker's heartbeat has not expired. */
export async function isAlive(redis: Redis, workerId: string): Promise<boolean> {
  return (await redis.exists(workerKey(workerId))) === 1;
}

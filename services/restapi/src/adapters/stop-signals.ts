import { stopChannel, stopKey, stopKeyTtlSeconds, workerKey } from '@plz/contracts';
import type { Redis } from 'ioredis';

/**
 * Asks the worker running `executionId` to stop it: sets `plz:stop:<id>` for a day (a worker that
 * takes the job later still sees it) and publishes the id on `plz:stop` (keys.ts). Cancelling an
 * active BullMQ job works only in the worker that runs it (NOTES.md), hence the relay.
 */
export async function signalStop(redis: Redis, executionId: string): Promise<void> {
  await redis.multi().set(stopKey(executionId), new Date().toISOString(), 'EX', stopKeyTtlSeconds).publish(stopChannel, executionId).exec();
}

/**
 * Whether the worker `workerId` is alive: its heartbeat hash `plz:workers:<id>` exists (workers
 * refresh it every 5 s; it expires 30 s after the last one, keys.ts).
 */
export async function workerAlive(redis: Redis, workerId: string): Promise<boolean> {
  return (await redis.exists(workerKey(workerId))) === 1;
}

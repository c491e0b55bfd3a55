import { stopChannel, stopKey, stopKeyTtlSeconds } from '@plz/contracts';
import type { Redis } from 'ioredis';

/**
 * Asks the worker running `executionId` to stop it: sets `plz:stop:<id>` for a day (a worker that
 * takes the job later still sees it) and publishes the id on `plz:stop` (keys.ts). Cancelling an
 * active BullMQ job works only in the worker that runs it (NOTES.md), hence the relay.
 */
export async function signalStop(redis: Redis, executionId: string): Promise<void> {
  await redis.multi().set(stopKey(executionId), new Date().toISOString(), 'EX', stopKeyTtlSeconds).publish(stopChannel, executionId).exec();
}


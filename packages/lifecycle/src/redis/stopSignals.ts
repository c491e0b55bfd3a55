import type { Redis } from 'ioredis';
import { stopChannel, stopKey, stopKeyTtlSeconds } from '@plz/contracts';

/**
 * Asks the worker running `executionId` to stop it: sets `plz:stop:<id>` for a day (a worker that
 * takes the job later still sees it) and publishes the id on `plz:stop` (contracts keys.ts).
 * Cancelling an active BullMQ job works only in the worker that runs it (NOTES.md), hence the relay.
 */
export async function signalStop(redis: Redis, executionId: string): Promise<void> {
  await redis.multi().set(stopKey(executionId), new Date().toISOString(), 'EX', stopKeyTtlSeconds).publish(stopChannel, executionId).exec();
}

/** True when a stop of `executionId` was requested (the key exists). */
export async function stopRequested(redis: Redis, executionId: string): Promise<boolean> {
  return (await redis.exists(stopKey(executionId))) === 1;
}

/**
 * The worker's side of stop requests: one subscription to `plz:stop` for the whole worker, relayed
 * to the listeners of each execution; `requested` reads the key (checked at the start of a job and
 * periodically, so a message missed while Redis was away is caught).
 */
export class StopSignals {
  readonly #listeners = new Map<string, Set<() => void>>();

  /** `subscriber` is a connection of its own: a subscribed connection cannot run other commands. */
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {}

  /** Subscribes to the stop channel (ioredis subscribes again after a reconnect). */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== stopChannel) return;
      for (const listener of this.#listeners.get(message.trim()) ?? []) listener();
    });
    await this.subscriber.subscribe(stopChannel);
  }

  /** Calls `listener` when a stop of `executionId` is published; returns the unsubscribe function. */
  onStop(executionId: string, listener: () => void): () => void {
    const set = this.#listeners.get(executionId) ?? new Set();
    set.add(listener);
    this.#listeners.set(executionId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(executionId);
    };
  }

  /** True when a stop of `executionId` was requested. */
  async requested(executionId: string): Promise<boolean> {
    return stopRequested(this.redis, executionId);
  }
}

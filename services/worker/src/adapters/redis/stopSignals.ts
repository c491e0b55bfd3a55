import type { Redis } from 'ioredis';
import { stopChannel, stopKey } from '@plz/contracts';

/**
 * Stop requests from the REST API: the id published on `plz:stop`, and the key
 * `plz:stop:<id>` (checked at the start of a job and periodically, so a missed message is caught).
 */
export class StopSignals {
  readonly #listeners = new Map<string, Set<() => void>>();

  /** `subscriber` is a connection of its own: a subscribed connection cannot run other commands. */
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {}

  /** Subscribes to the stop channel. */
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

  /** True when the REST API asked to stop `executionId` (the key exists). */
  async requested(executionId: string): Promise<boolean> {
    return (await this.redis.exists(stopKey(executionId))) === 1;
  }
}

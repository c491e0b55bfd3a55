/**
 * Finalizations of exited executions (harvest and recorded end) that go on in the background while
 * the worker claims, prepares and starts its next execution: the container has exited, so its
 * CPUs, memory and GPUs are free, and what is left (uploads, MLflow, PostgreSQL, Redis) only waits
 * on other services. At most `max` run at once: the next one waits for a free place, so a worker
 * whose finalizations are slower than its jobs falls back to finishing one before the next.
 * `max` 0 runs each finalization inline.
 *
 * Their executions stay in `running` or `harvesting`, held by this worker, until they are recorded
 * ended; a worker killed meanwhile finds their exited containers at its next start and harvests them
 * then (execution/recover.ts), as it does for a job that exited while the worker was away.
 */
export class Finalizations {
  readonly #running = new Set<Promise<void>>();

  constructor(private readonly max: number) {}

  /** Finalizations under way. */
  get size(): number {
    return this.#running.size;
  }

  /**
   * Starts `work` once fewer than `max` are under way (waiting for one to end if need be), and
   * resolves when it has started; with `max` 0, resolves when `work` has ended. `work` handles its own
   * errors: a rejection is dropped.
   */
  async start(work: () => Promise<void>): Promise<void> {
    if (this.max <= 0) return work().catch(() => undefined);
    while (this.#running.size >= this.max) await Promise.race(this.#running);
    const running: Promise<void> = work()
      .catch(() => undefined)
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Settles when every finalization started so far has ended. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}

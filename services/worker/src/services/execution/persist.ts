import pRetry from 'p-retry';
import { isTransient } from '../../errors.js';
import type { Logger } from '../../logger.js';

/** How long and how often a write to a dependency that is down is tried again. */
export interface PersistOptions {
  /** Give up after this long, ms (the last error is thrown). */
  maxMs: number;
  /** Aborted: stop trying (the worker shuts down); the last error is thrown. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `write` until it succeeds, trying again with exponential backoff (1 s doubling to 30 s,
 * randomized; p-retry) while it fails on a transient error (isTransient: PostgreSQL, Redis, MinIO or
 * MLflow unreachable), for at most `maxMs`. Each failed attempt is logged as a warning naming `what`.
 * `write` must be idempotent: it may have taken effect before its answer was lost.
 *
 * @throws the error of the last attempt: at once for a non-transient one, else when time is up or
 *   `signal` aborted.
 */
export async function persist<T>(what: string, write: () => Promise<T>, logger: Logger, options: PersistOptions): Promise<T> {
  return pRetry(write, {
    retries: 1_000,
    factor: 2,
    minTimeout: 1_000,
    maxTimeout: 30_000,
    randomize: true,
    maxRetryTime: options.maxMs,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: ({ error }) => isTransient(error),
    onFailedAttempt: ({ error, attemptNumber }) => {
      logger.warn({ err: error, attempt: attemptNumber }, `${what} failed${isTransient(error) ? ': trying again' : ''}`);
    },
  });
}

import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { bullPrefix, executionJobName, executionJobOptions, type JobPayload } from '@plz/contracts';

/**
 * Enqueues an execution's job the way the REST API does (contracts: queue `queueForGpus(n)` under
 * the prefix `plz:bull`, job name `execution`, job id = execution id, executionJobOptions). Used by
 * tests and benchmarks to drive the worker through the real protocol.
 */
export async function enqueueExecution(connection: Redis, queue: string, payload: JobPayload | Record<string, unknown>): Promise<void> {
  const bull = new Queue(queue, { connection, prefix: bullPrefix });
  try {
    await bull.add(executionJobName, payload, { ...executionJobOptions, jobId: String(payload.execution_id) });
  } finally {
    await bull.close();
  }
}

/** Adds wake-up jobs to one queue (contracts JobPayload naming the execution they are for). */
export interface Waker {
  /** Adds a job that wakes a worker of the queue after `delayMs`. @throws the Redis error. */
  wake(executionId: string, delayMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Waker on `queue` (prefix `plz:bull`, job name `execution`, executionJobOptions, no fixed job
 * id: never ignored as a duplicate). `connection` is shared, not closed by `close`.
 */
export function createWaker(connection: Redis, queue: string): Waker {
  const bull = new Queue(queue, { connection, prefix: bullPrefix });
  return {
    async wake(executionId, delayMs) {
      await bull.add(executionJobName, { execution_id: executionId } satisfies JobPayload, { ...executionJobOptions, delay: delayMs });
    },
    close: () => bull.close(),
  };
}

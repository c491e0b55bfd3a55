import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { bullPrefix, executionJobName, type JobPayload } from '@plz/contracts';

/**
 * Enqueues an execution the way the REST API does (contracts: queue `queueForGpus(n)` under the
 * prefix `plz:bull`, job name `execution`, job id = execution id). Used by tests and benchmarks to
 * drive the worker through the real protocol. `attempts` (with a fixed `backoffMs` between them) as
 * the REST API sets them (JobQueues.enqueue), for tests of retries.
 */
export async function enqueueExecution(
  connection: Redis,
  queue: string,
  payload: JobPayload | Record<string, unknown>,
  options: { attempts?: number; backoffMs?: number } = {},
): Promise<void> {
  const bull = new Queue(queue, { connection, prefix: bullPrefix });
  try {
    await bull.add(executionJobName, payload, {
      jobId: String(payload.execution_id),
      ...(options.attempts ? { attempts: options.attempts, backoff: { type: 'fixed', delay: options.backoffMs ?? 1_000 } } : {}),
    });
  } finally {
    await bull.close();
  }
}

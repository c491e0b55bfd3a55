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

import type { Redis } from 'ioredis';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { bullPrefix } from '@plz/contracts';
import { PermanentJobError } from '../../errors.js';

/** What the processor gets of a BullMQ job. */
export interface QueuedJob {
  id: string | undefined;
  name: string;
  data: unknown;
  /** Aborted when BullMQ cancels the job (worker.cancelJob) or the worker closes with force. */
  signal: AbortSignal | undefined;
  /** Attempts made before this one, and the most allowed (BullMQ `attemptsMade`, `opts.attempts`). */
  attemptsMade: number;
  attempts: number;
}

export interface ConsumerOptions {
  queue: string;
  /** A connection with `maxRetriesPerRequest: null`; BullMQ duplicates it for blocking reads. */
  connection: Redis;
  lockDurationMs: number;
  processor: (job: QueuedJob) => Promise<void>;
  onError: (error: Error) => void;
  onFailed: (jobId: string | undefined, error: Error) => void;
}

/** A BullMQ consumer that does not take jobs until `run()` (recovery runs first). */
export interface Consumer {
  run(): void;
  /** Waits for the job in progress (BullMQ's graceful close), then closes. */
  close(): Promise<void>;
}

/**
 * One BullMQ Worker on `plz:bull:<queue>`, concurrency 1 (one job per GPU set). BullMQ renews the
 * job's lock every `lockDurationMs / 2` while the processor runs; a PermanentJobError thrown by the
 * processor becomes an UnrecoverableError (no retry). https://docs.bullmq.io/guide/workers
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const worker = new Worker(
    options.queue,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      try {
        await options.processor({ id: job.id, name: job.name, data: job.data as unknown, signal, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 });
      } catch (error) {
        if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: bullPrefix,
      concurrency: 1,
      autorun: false,
      lockDuration: options.lockDurationMs,
      // A redelivered execution is recognised by its database state; one redelivery is enough.
      maxStalledCount: 1,
    },
  );
  worker.on('error', options.onError);
  worker.on('failed', (job, error) => options.onFailed(job?.id, error));
  return {
    run() {
      worker.run().catch(options.onError);
    },
    close: () => worker.close(),
  };
}

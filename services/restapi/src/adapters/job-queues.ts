import { bullPrefix, executionJobName, executionJobOptions, type JobPayload } from '@plz/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** What removing a queued job found: removed, already taken by a worker, or not in the queue at all. */
export type RemoveOutcome = 'removed' | 'taken' | 'absent';

/** Job counts of one queue. */
export interface QueueLength {
  waiting: number;
  active: number;
  delayed: number;
}

const waitingStates = new Set(['waiting', 'wait', 'prioritized', 'paused', 'delayed', 'waiting-children']);

/**
 * The BullMQ queues of executions (prefix `plz:bull`, job name `execution`, job id = execution id,
 * keys.ts and job.ts). Queues are opened on first use and share one Redis connection.
 */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = bullPrefix,
  ) {}

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Adds one job per execution id to queue `name`, all at once (job id = execution id, data
   * contracts JobPayload, options contracts executionJobOptions). A job wakes one worker of the
   * queue, which takes the execution the dispatcher chooses: jobs and queued executions match in
   * number, not one to one.
   */
  async enqueue(name: string, executionIds: readonly string[]): Promise<void> {
    const jobs = executionIds.map((id) => ({
      name: executionJobName,
      data: { execution_id: id } satisfies JobPayload,
      opts: { ...executionJobOptions, jobId: id },
    }));
    if (jobs.length === 1) await this.queue(name).add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
    else await this.queue(name).addBulk(jobs);
  }

  /**
   * Adds `count` jobs to queue `name` that wake its workers (no fixed job id, so never ignored as a
   * duplicate), naming `executionId` (contracts JobPayload: a hint for logs).
   */
  async wake(name: string, executionId: string, count = 1): Promise<void> {
    if (count <= 0) return;
    const data: JobPayload = { execution_id: executionId };
    await this.queue(name).addBulk(Array.from({ length: count }, () => ({ name: executionJobName, data, opts: { ...executionJobOptions } })));
  }

  /** Jobs of queue `name` that wake a worker as soon as one is free: waiting and prioritized (not delayed, not in progress). */
  async waiting(name: string): Promise<number> {
    const counts = await this.queue(name).getJobCounts('wait', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** Jobs of queue `name` that will wake a worker: waiting, prioritized and delayed (not those in progress). */
  async pending(name: string): Promise<number> {
    const counts = await this.queue(name).getJobCounts('wait', 'prioritized', 'delayed');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** Removes the job of `executionId` from queue `name` if no worker has taken it yet. */
  async removeWaiting(name: string, executionId: string): Promise<RemoveOutcome> {
    const queue = this.queue(name);
    const job = await queue.getJob(executionId);
    if (!job) return 'absent';
    const state = await job.getState();
    if (!waitingStates.has(state)) return state === 'unknown' ? 'absent' : 'taken';
    return (await queue.remove(executionId)) === 1 ? 'removed' : 'taken';
  }

  /** Names of every queue that has ever held a job (BullMQ's `<prefix>:<name>:meta` keys). */
  async names(): Promise<string[]> {
    const names = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*:meta`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) names.add(key.slice(this.prefix.length + 1, -':meta'.length));
    } while (cursor !== '0');
    return [...names].sort();
  }

  /** Waiting (including prioritized), active and delayed job counts of queue `name`. */
  async length(name: string): Promise<QueueLength> {
    const counts = await this.queue(name).getJobCounts('wait', 'prioritized', 'active', 'delayed');
    return {
      waiting: (counts['wait'] ?? 0) + (counts['prioritized'] ?? 0),
      active: counts['active'] ?? 0,
      delayed: counts['delayed'] ?? 0,
    };
  }

  /** Closes every queue opened (the shared connection stays open: its owner closes it). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}

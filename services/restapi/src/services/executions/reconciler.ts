import { randomUUID } from 'node:crypto';
import { isAlive, lastSeen, LogStream, type ExecutionStore } from '@plz/lifecycle';
import type { JobQueues } from '../../adapters/job-queues.js';
import type { Redis } from '../../adapters/redis.js';
import type { Logger } from '../../logger.js';

/** Timing of the reconciler, in seconds. */
export interface ReconcilerSettings {
  /** Seconds between passes (one replica runs each pass: a Redis lock). */
  intervalSeconds: number;
  /** When a queue's oldest `queued` row is this old and the queue has fewer jobs than queued rows, jobs are added. */
  queuedGraceSeconds: number;
  /** A `preparing` row whose worker sent no heartbeat for this long goes back to the queue. */
  preparingLostSeconds: number;
  /**
   * A `running` or `harvesting` row whose worker sent no heartbeat for this long ends in `error`
   * with the reason; until then the worker may come back and resume it (it re-attaches at start).
   */
  workerLostSeconds: number;
}

/** What one pass did. */
export interface ReconcileReport {
  /** Jobs added per queue, where it had fewer jobs to wake a worker than queued executions. */
  woken: Record<string, number>;
  /** Executions of gone workers put back to `queued` (they had not started). */
  released: string[];
  /** Executions ended in `error` because their worker stayed away. */
  ended: string[];
}

/** Redis key of the reconciler's lock (one pass per interval across REST API replicas). */
export const reconcilerLockKey = 'plz:reconciler';

/**
 * Keeps every execution moving when a process died at the wrong time (issue 15): a queue whose
 * BullMQ jobs are fewer than its queued rows (the REST API died between insert and enqueue, Redis
 * lost its data, a job failed while PostgreSQL was down) gets the missing jobs: a job wakes a worker,
 * which takes whatever the dispatcher chooses, so only the numbers must match; a `preparing` row whose
 * worker is gone goes back to the queue; a `running`/`harvesting` row whose worker stays away past
 * `workerLostSeconds` ends in `error` naming the worker and since when. Every change goes through
 * the lifecycle's conditional transitions, so racing a worker that is back is harmless.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** When this process first saw each worker without a heartbeat (when Redis lost its last-seen time). */
  private readonly missingSince = new Map<string, number>();
  private readonly instance = randomUUID();

  constructor(
    private readonly store: ExecutionStore,
    private readonly queues: JobQueues,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly settings: ReconcilerSettings,
  ) {}

  /** Starts a pass every `intervalSeconds` (the first after one interval). */
  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.pass()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'reconciliation failed; trying again at the next interval'))
        .finally(() => (this.running = undefined));
    }, this.settings.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the passes and waits for one in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * One pass, when this replica gets the lock (else an empty report).
   *
   * @throws the PostgreSQL or Redis error that stopped it (the next pass starts over).
   */
  async pass(now: Date = new Date()): Promise<ReconcileReport> {
    const report: ReconcileReport = { woken: {}, released: [], ended: [] };
    const lockMs = Math.max(1000, this.settings.intervalSeconds * 1000 - 500);
    if ((await this.redis.set(reconcilerLockKey, this.instance, 'PX', lockMs, 'NX')) !== 'OK') return report;
    const queuedBefore = now.getTime() - this.settings.queuedGraceSeconds * 1000;
    for (const row of await this.store.queuedByQueue()) {
      if (row.oldest.getTime() >= queuedBefore) continue; // every row young: its submission may still be enqueuing
      // executions a worker could take now, against the jobs that wake one now (a delayed job
      // belongs to an execution in backoff; if it was lost, the execution counts once its backoff ends)
      const missing = Math.min(row.queued - row.in_backoff - (await this.queues.waiting(row.queue)), 1000);
      if (missing <= 0) continue;
      await this.queues.wake(row.queue, row.some_id, missing);
      report.woken[row.queue] = missing;
    }
    const gone = new Map<string, number>();
    for (const row of await this.store.taken()) {
      if (!row.worker_id) continue;
      let awaySeconds = gone.get(row.worker_id);
      if (awaySeconds === undefined) {
        awaySeconds = await this.secondsAway(row.worker_id, now);
        gone.set(row.worker_id, awaySeconds);
      }
      if (awaySeconds <= 0) continue;
      if (row.state === 'preparing' && awaySeconds >= this.settings.preparingLostSeconds) {
        if (await this.store.release(row.id, row.worker_id)) {
          await this.queues.wake(row.queue, row.id);
          report.released.push(row.id);
        }
      } else if (row.state !== 'preparing' && awaySeconds >= this.settings.workerLostSeconds) {
        const reason = `the worker ${row.worker_id} sent no heartbeat for ${Math.round(awaySeconds)} s (more than ${this.settings.workerLostSeconds} s) while the execution was ${row.state}: ended without it; what the job wrote after the worker left is not kept`;
        if (await this.store.endTaken(row.id, 'error', reason, row.worker_id)) {
          await new LogStream(this.redis).end(row.id, 'error').catch(() => undefined);
          report.ended.push(row.id);
        }
      }
    }
    for (const worker of this.missingSince.keys()) if (!gone.has(worker)) this.missingSince.delete(worker);
    if (Object.keys(report.woken).length + report.released.length + report.ended.length > 0) this.logger.warn(report, 'reconciled executions');
    return report;
  }

  /** 0 while the worker is alive; else seconds since its last heartbeat (Redis's record, or since this process noticed). */
  private async secondsAway(workerId: string, now: Date): Promise<number> {
    if (await isAlive(this.redis, workerId)) {
      this.missingSince.delete(workerId);
      return 0;
    }
    const seen = (await lastSeen(this.redis, workerId))?.getTime();
    const noticed = this.missingSince.get(workerId) ?? now.getTime();
    this.missingSince.set(workerId, noticed);
    return Math.max(1, (now.getTime() - (seen ?? noticed)) / 1000);
  }
}

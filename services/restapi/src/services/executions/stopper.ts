import { isTerminal, type Identity, type StopResult } from '@plz/contracts';
import type { JobQueues } from '../../adapters/job-queues.js';
import { isAlive, LogStream, signalStop } from '@plz/lifecycle';
import type { Redis } from '../../adapters/redis.js';
import { AppError, notFound } from '../../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/**
 * Stops executions. A queued one is marked `stopped` here (and its BullMQ job removed); one
 * that a worker has taken is signalled (stop key + publish, keys.ts) and its worker ends it. When
 * that worker is gone (no heartbeat: stopped for good, or away for more than 30 s), nobody would,
 * so the execution is marked `stopped` here, with the reason; a worker that comes back later finds
 * it ended and removes its job container (services/worker recover.ts).
 */
export class Stopper {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly queues: JobQueues,
    private readonly redis: Redis,
  ) {}

  /**
   * Stops the execution `id` on behalf of `who` (its owner or an admin).
   *
   * @throws AppError `not_found`, `forbidden` (someone else's execution), `not_stoppable` (already over).
   */
  async stop(id: string, who: Identity): Promise<StopResult> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    return this.stopExecution(execution, who);
  }

  /** As stop, for an execution already read. */
  async stopExecution(execution: StoredExecution, who: Identity): Promise<StopResult> {
    if (who.role !== 'admin' && execution.user_id !== who.id) {
      throw new AppError('forbidden', `execution ${execution.id} belongs to ${execution.user}: only its owner or an admin can stop it`);
    }
    if (isTerminal(execution.state)) {
      throw new AppError('not_stoppable', `execution ${execution.id} is over already (${execution.state})`, { state: execution.state });
    }
    if (execution.state === 'queued' && (await this.executions.endQueued(execution.id, 'stopped'))) {
      // Its job, when still waiting, would wake a worker for nothing; one left (taken already, or
      // another execution's) finds nothing more to take and ends.
      await this.queues.removeWaiting(execution.queue, execution.id).catch(() => undefined);
      // Whoever follows the log stream learns that it is over; the stream then expires.
      await new LogStream(this.redis).end(execution.id, 'stopped');
      return { id: execution.id, outcome: 'stopped', state: 'stopped' };
    }
    await signalStop(this.redis, execution.id);
    if (execution.worker_id && !(await isAlive(this.redis, execution.worker_id))) {
      const reason = `stopped without its worker ${execution.worker_id}, which sends no heartbeat: what the job wrote after the worker left is not kept`;
      if (await this.executions.endTaken(execution.id, 'stopped', reason)) {
        await new LogStream(this.redis).end(execution.id, 'stopped');
        return { id: execution.id, outcome: 'stopped', state: 'stopped' };
      }
    }
    const now = await this.executions.status(execution.id);
    return { id: execution.id, outcome: 'signalled', state: now?.state ?? execution.state };
  }
}

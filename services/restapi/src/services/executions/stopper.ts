import { isTerminal, type Identity, type StopResult } from '@plz/contracts';
import type { JobQueues } from '../../adapters/job-queues.js';
import { appendLogEnd } from '../../adapters/log-streams.js';
import type { Redis } from '../../adapters/redis.js';
import { signalStop } from '../../adapters/stop-signals.js';
import { AppError, notFound } from '../../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/**
 * Stops executions. A queued one is removed from its BullMQ queue and marked `stopped` here; one
 * that a worker has taken is signalled (stop key + publish, keys.ts) and its worker ends it.
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
    if (execution.state === 'queued') {
      const removal = await this.queues.removeWaiting(execution.queue, execution.id);
      if (removal !== 'taken' && (await this.executions.endQueued(execution.id, 'stopped'))) {
        // Whoever follows the log stream learns that it is over.
        await appendLogEnd(this.redis, execution.id, 'stopped');
        return { id: execution.id, outcome: 'stopped', state: 'stopped' };
      }
    }
    await signalStop(this.redis, execution.id);
    const now = await this.executions.status(execution.id);
    return { id: execution.id, outcome: 'signalled', state: now?.state ?? execution.state };
  }
}

import { priorityRank, type ExecutionStatus, type FairShareSettings, type Identity, type Priority } from '@plz/contracts';
import { AppError, notFound } from '../../errors.js';
import type { ExecutionsRepository } from '../../repositories/executions.js';
import type { UsersRepository } from '../../repositories/users.js';

/**
 * Who may use which priority (issue 20): `normal` and `low` are everyone's; `high` is for admins,
 * and for other users up to their allowance of `high` executions per fair-share window (the
 * user's own `users.high_priority_allowance`, else the deployment's HIGH_PRIORITY_ALLOWANCE).
 */
export class PriorityPolicy {
  constructor(
    private readonly users: UsersRepository,
    private readonly executions: ExecutionsRepository,
    private readonly settings: FairShareSettings,
  ) {}

  /**
   * Checks that `who` may submit `count` more executions at `priority` (counting the `high` ones
   * submitted within the window). Two submissions at the same instant may both pass the last unit
   * of an allowance: the allowance bounds use per window, it is not a lock.
   *
   * @throws AppError `priority_not_allowed` (403) with how many the allowance is and how many are used.
   */
  async check(who: Identity, priority: Priority, count: number): Promise<void> {
    if (priority !== 'high' || who.role === 'admin' || count === 0) return;
    const allowance = (await this.users.highPriorityAllowance(who.id)) ?? this.settings.high_priority_allowance;
    const used = await this.executions.countSubmittedSince(who.id, priorityRank('high'), this.settings.window_seconds);
    if (used + count <= allowance) return;
    const hours = Math.round((this.settings.window_seconds / 3600) * 10) / 10;
    throw new AppError(
      'priority_not_allowed',
      allowance === 0
        ? `priority high is for admins on this deployment: submit at normal or low priority, or ask an admin to raise yours`
        : `priority high is over your allowance: ${allowance} high-priority execution${allowance === 1 ? '' : 's'} per ${hours} h, ` +
            `you have submitted ${used} in that time and ask for ${count} more. Submit at normal or low priority, or ask an admin`,
      { allowance, used, requested: count, window_seconds: this.settings.window_seconds },
    );
  }

  /**
   * Changes the priority of the queued execution `id` on behalf of `who` (its owner or an admin;
   * raising it to `high` passes `check`). It keeps its submission time, so among executions of its
   * new priority it stands where its age puts it.
   *
   * @returns its status (without the queue position).
   * @throws AppError `not_found`, `forbidden`, `priority_not_allowed`, `not_queued` (409: a worker took it, or it ended).
   */
  async set(id: string, priority: Priority, who: Identity): Promise<ExecutionStatus> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    if (who.role !== 'admin' && execution.user_id !== who.id) {
      throw new AppError('forbidden', `execution ${id} belongs to ${execution.user}: only its owner or an admin can change its priority`);
    }
    if (execution.state !== 'queued') throw new AppError('not_queued', `execution ${id} is ${execution.state}: only a queued execution's priority can change`, { state: execution.state });
    if (execution.priority !== priority) await this.check(who, priority, 1);
    if (!(await this.executions.store.setPriority(id, priorityRank(priority)))) {
      const now = await this.executions.status(id);
      throw new AppError('not_queued', `execution ${id} left the queue meanwhile (${now?.state ?? 'gone'})`, { state: now?.state });
    }
    return (await this.executions.status(id))!;
  }
}

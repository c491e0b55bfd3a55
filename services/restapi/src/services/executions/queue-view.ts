import { gpusOfQueue, type FairShareSettings, type QueuePosition, type QueuesResponse, type QueueShare, type UserShare } from '@plz/contracts';
import { chargeSeconds, predictStarts, type Dispatcher } from '@plz/lifecycle';
import type { WorkerDirectory } from '../workers.js';

/**
 * The queues as the dispatcher sees them, for people: where a queued execution stands and who is
 * ahead, and each user's share of every queue. Positions come from @plz/lifecycle predictStarts
 * over a snapshot of the queue (the same rule as the workers' dispatcher, with the live workers
 * from their heartbeats), so they are the order the workers follow when nothing else is submitted.
 */
export class QueueView {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly workers: WorkerDirectory,
    private readonly settings: FairShareSettings,
  ) {}

  private async workersOf(queue: string): Promise<number> {
    return (await this.workers.live()).filter((beat) => beat.queue === queue).length;
  }

  /**
   * Where the queued execution `id` of `queue` stands (contracts QueuePosition).
   *
   * @returns null when it is not waiting in that queue any more (taken or ended meanwhile).
   * @throws the PostgreSQL or Redis error.
   */
  async position(queue: string, id: string): Promise<QueuePosition | null> {
    const { snapshot, names } = await this.dispatcher.snapshot(queue, await this.workersOf(queue));
    const starts = predictStarts(snapshot, id);
    const target = starts.at(-1);
    if (!target || target.id !== id) return null;
    const ahead = new Map<string, number>();
    for (const start of starts.slice(0, -1)) ahead.set(start.user_id, (ahead.get(start.user_id) ?? 0) + 1);
    return {
      position: target.position,
      ahead: [...ahead].map(([userId, executions]) => ({ user: names.get(userId) ?? userId, executions })).sort((a, b) => b.executions - a.executions || a.user.localeCompare(b.user)),
      workers: snapshot.workers,
      typical_seconds: Math.round(snapshot.typicalSeconds * 10) / 10,
      estimated_start_seconds: target.startInSeconds === null ? null : Math.round(target.startInSeconds),
    };
  }

  /**
   * Every queue with waiting or held executions or a live worker: its workers, counts, and each
   * user's waiting executions (by priority), held executions, use of the queue's workers as the
   * dispatcher charges it (seconds, and GPU-seconds), and the position of their next execution;
   * users whose execution starts next come first.
   */
  async queues(): Promise<QueuesResponse> {
    const live = await this.workers.live();
    const names = [...new Set([...(await this.dispatcher.activeQueues()), ...live.map((beat) => beat.queue)])].sort();
    const queues: Record<string, QueueShare> = {};
    for (const queue of names) queues[queue] = await this.share(queue, live.filter((beat) => beat.queue === queue).length);
    return { ...this.settings, queues };
  }

  private async share(queue: string, workers: number): Promise<QueueShare> {
    const { snapshot, names } = await this.dispatcher.snapshot(queue, workers);
    const starts = predictStarts(snapshot);
    const gpus = gpusOfQueue(queue);
    const users = new Map<string, UserShare>();
    const share = (userId: string): UserShare => {
      let found = users.get(userId);
      if (!found) {
        const use = snapshot.use.get(userId);
        const atMs = snapshot.at.getTime();
        const held = (use?.held ?? []).map((since) => ({ startMs: since.getTime(), endMs: atMs }));
        const usage = use ? chargeSeconds(use.finishedSeconds, use.finishedExecutions, held, atMs, this.settings) : 0;
        found = {
          user: names.get(userId) ?? userId,
          waiting: { high: 0, normal: 0, low: 0 },
          running: held.length,
          usage_seconds: Math.round(usage),
          gpu_seconds: Math.round(usage * gpus),
          next_position: null,
        };
        users.set(userId, found);
      }
      return found;
    };
    const levels = ['high', 'normal', 'low'] as const;
    for (const execution of snapshot.waiting) share(execution.user_id).waiting[levels[execution.priority] ?? 'normal'] += 1;
    for (const start of starts) share(start.user_id).next_position ??= start.position;
    for (const [userId, use] of snapshot.use) if (use.held.length > 0) share(userId);
    const running = [...snapshot.use.values()].reduce((sum, use) => sum + use.held.length, 0);
    return {
      gpus_per_worker: gpus,
      workers,
      waiting: snapshot.waiting.length,
      running,
      users: [...users.values()].sort((a, b) => (a.next_position ?? Infinity) - (b.next_position ?? Infinity) || a.user.localeCompare(b.user)),
    };
  }
}

import { z } from 'zod';

/**
 * Priority of an execution in its queue. Every waiting `high` execution starts before any `normal`
 * one, and `normal` before `low`; within one level, fair share across users decides (the user with
 * the least use of the queue's workers over the window goes first), then submission order.
 * `high` is for admins, or for other users within their allowance.
 */
export const priorities = ['high', 'normal', 'low'] as const;
export const Priority = z.enum(priorities);
export type Priority = z.infer<typeof Priority>;

/** The rank stored in `executions.priority` (0 = high, 1 = normal, 2 = low): lower starts first. */
export function priorityRank(priority: Priority): number {
  return priorities.indexOf(priority);
}

/** The priority of a stored rank; throws RangeError for a rank outside 0-2. */
export function priorityOfRank(rank: number): Priority {
  const priority = priorities[rank];
  if (priority === undefined) throw new RangeError(`not a priority rank: ${rank} (expected 0, 1 or 2)`);
  return priority;
}

/** One user's executions waiting ahead of an execution. */
export const UserAhead = z.object({ user: z.string(), executions: z.number().int().nonnegative() });
export type UserAhead = z.infer<typeof UserAhead>;

/**
 * Where a queued execution stands: `position` 1 starts next. It is the order the dispatcher would
 * follow if nothing else were submitted and each user's executions took what theirs took on
 * average in the fair-share window (one quantum for a user without any), so it is exact for
 * executions shorter than the quantum, an estimate otherwise. `typical_seconds` is the mean of the
 * queue's executions that ended in the window (the quantum when none did);
 * `estimated_start_seconds` is from now, with the queue's live workers, null when none is alive.
 */
export const QueuePosition = z.object({
  position: z.number().int().positive(),
  ahead: z.array(UserAhead),
  workers: z.number().int().nonnegative(),
  typical_seconds: z.number().nonnegative(),
  estimated_start_seconds: z.number().nonnegative().nullable(),
});
export type QueuePosition = z.infer<typeof QueuePosition>;

/** Waiting executions by priority. */
export const WaitingByPriority = z.object({ high: z.number().int(), normal: z.number().int(), low: z.number().int() });
export type WaitingByPriority = z.infer<typeof WaitingByPriority>;

/**
 * One user's share of a queue: executions waiting (by priority) and held by workers, use of the
 * queue's workers over the window in worker-seconds (GPU-seconds = `usage_seconds` × the GPUs of
 * one worker of the queue), and the position of their next execution (null when none waits).
 */
export const UserShare = z.object({
  user: z.string(),
  waiting: WaitingByPriority,
  running: z.number().int().nonnegative(),
  usage_seconds: z.number().nonnegative(),
  gpu_seconds: z.number().nonnegative(),
  next_position: z.number().int().positive().nullable(),
});
export type UserShare = z.infer<typeof UserShare>;

/** A queue as the dispatcher sees it: live workers, counts, and each user's share, next first. */
export const QueueShare = z.object({
  gpus_per_worker: z.number().int().nonnegative(),
  workers: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  users: z.array(UserShare),
});
export type QueueShare = z.infer<typeof QueueShare>;

/** The deployment's fair-share settings, as the REST API and the workers apply them. */
export const FairShareSettings = z.object({
  /** Use older than this is forgotten (FAIR_SHARE_WINDOW_HOURS, 24 h by default). */
  window_seconds: z.number().positive(),
  /** Every execution counts at least this long, and use is compared in whole quanta (FAIR_SHARE_QUANTUM_SECONDS). */
  quantum_seconds: z.number().positive(),
  /** Most executions of one user that the workers of one queue hold at once; null: no cap (MAX_RUNNING_PER_USER). */
  max_running_per_user: z.number().int().positive().nullable(),
  /** `high` executions a non-admin may submit per window (HIGH_PRIORITY_ALLOWANCE; admins have no limit). */
  high_priority_allowance: z.number().int().nonnegative(),
});
export type FairShareSettings = z.infer<typeof FairShareSettings>;

/** `GET /api/v1/queues`: every queue with waiting or running executions or live workers. */
export const QueuesResponse = FairShareSettings.extend({ queues: z.record(z.string(), QueueShare) });
export type QueuesResponse = z.infer<typeof QueuesResponse>;

/** Body of `PUT /api/v1/executions/{id}/priority` (a queued execution; raising it to `high` is for admins or within the allowance). */
export const SetPriorityRequest = z.object({ priority: Priority }).strict();
export type SetPriorityRequest = z.infer<typeof SetPriorityRequest>;

import type { FairShareSettings } from '@plz/contracts';

/** A queued execution as the dispatcher ranks it. */
export interface WaitingExecution {
  id: string;
  user_id: string;
  /** Rank of contracts Priority: 0 high, 1 normal, 2 low. */
  priority: number;
  created_at: Date;
  /** Not to be taken before (a backoff), or null. */
  not_before: Date | null;
}

/** A user's use of one queue's workers, as recorded (migrations/003_fair_share.ts). */
export interface RecordedUse {
  /** Worker-seconds of executions that ended within the window (hour buckets). */
  finishedSeconds: number;
  /** How many executions ended within the window. */
  finishedExecutions: number;
  /** When each execution the user's workers hold now was taken. */
  held: Date[];
}

/** Everything the order of one queue depends on, read at one instant (`at`, the database's clock). */
export interface QueueSnapshot {
  queue: string;
  at: Date;
  /**
   * In submission order, as the database orders them (`created_at`, then `id`): JavaScript dates
   * keep milliseconds where PostgreSQL keeps microseconds, so the order is taken from here.
   */
  waiting: WaitingExecution[];
  /** By user id; users without an entry have no use. */
  use: Map<string, RecordedUse>;
  /** Live workers of the queue. */
  workers: number;
  /** The mean duration of the queue's executions that ended in the window, seconds (the quantum when none did). */
  typicalSeconds: number;
  settings: FairShareSettings;
}

/** One predicted start: 1-based position and seconds from the snapshot (null without live workers). */
export interface PredictedStart {
  id: string;
  user_id: string;
  position: number;
  startInSeconds: number | null;
}

/**
 * The charge of a user's use at `atMs` (seconds), the rule the dispatcher's SQL applies
 * (repositories/dispatcher.ts): executions that ended in the window count their seconds, at least a quantum
 * each (`max(seconds, executions × quantum)`); each held execution counts from when it was taken
 * (or the window's start) to `atMs` (or its end), at least a quantum.
 */
export function chargeSeconds(finishedSeconds: number, finishedExecutions: number, held: ReadonlyArray<{ startMs: number; endMs: number }>, atMs: number, settings: FairShareSettings): number {
  const quantum = settings.quantum_seconds;
  const windowStart = atMs - settings.window_seconds * 1000;
  let seconds = Math.max(finishedSeconds, finishedExecutions * quantum);
  for (const span of held) seconds += Math.max((Math.min(atMs, span.endMs) - Math.max(span.startMs, windowStart)) / 1000, quantum);
  return seconds;
}

/** Whole quanta of a charge: users are compared on these, so that short executions take turns. */
export const quantaOf = (seconds: number, settings: FairShareSettings): number => Math.floor(seconds / settings.quantum_seconds);

interface SimUser {
  /** How long the user's executions are expected to hold a worker, ms. */
  durationMs: number;
  /** Waiting executions by priority rank, oldest first. */
  waiting: WaitingExecution[][];
  finishedSeconds: number;
  finishedExecutions: number;
  /** Held executions (recorded ones end at their estimated end), and those the simulation started. */
  held: Array<{ startMs: number; endMs: number }>;
  /** Charges of held executions that ended in the simulation. */
  closedSeconds: number;
}


/**
 * The order in which the dispatcher would start the queue's waiting executions if nothing else
 * were submitted and each user's executions took what theirs took on average in the window (a
 * quantum for a user without any): a simulation of the workers (each free
 * when its execution ends) applying the dispatcher's rule at each start: highest priority first,
 * then the user with the fewest whole quanta of use (chargeSeconds), then the oldest submission;
 * users at MAX_RUNNING_PER_USER wait for one of theirs to end; an execution in backoff waits for
 * its `not_before`. Exact while executions are shorter than the quantum; an estimate otherwise.
 *
 * Cost: O(n × users) for n waiting executions. Stops after `until` (an execution id) when given.
 *
 * @returns the predicted starts in order (positions from 1).
 */
export function predictStarts(snapshot: QueueSnapshot, until?: string): PredictedStart[] {
  const { settings } = snapshot;
  const nowMs = snapshot.at.getTime();
  const users = new Map<string, SimUser>();
  const user = (id: string): SimUser => {
    let found = users.get(id);
    if (!found) {
      const use = snapshot.use.get(id);
      // what the user's executions took on average in the window; a quantum for a user without any
      const durationMs = (use && use.finishedExecutions > 0 ? use.finishedSeconds / use.finishedExecutions : settings.quantum_seconds) * 1000;
      found = {
        durationMs,
        waiting: [[], [], []],
        finishedSeconds: use?.finishedSeconds ?? 0,
        finishedExecutions: use?.finishedExecutions ?? 0,
        held: (use?.held ?? []).map((since) => ({ startMs: since.getTime(), endMs: Math.max(nowMs, since.getTime() + durationMs) })),
        closedSeconds: 0,
      };
      users.set(id, found);
    }
    return found;
  };
  const age = new Map(snapshot.waiting.map((execution, index) => [execution.id, index]));
  const byAge = (a: WaitingExecution, b: WaitingExecution) => age.get(a.id)! - age.get(b.id)!;
  for (const execution of snapshot.waiting) (user(execution.user_id).waiting[execution.priority] ??= []).push(execution);
  for (const id of snapshot.use.keys()) user(id);

  // Each worker is free from the estimated end of what it holds; extra held executions (a worker gone) are ignored.
  const slots = Math.max(snapshot.workers, 1);
  const heldEnds = [...users.values()].flatMap((sim) => sim.held.map((span) => span.endMs)).sort((a, b) => a - b);
  const free: number[] = Array.from({ length: slots }, (_, index) => heldEnds[index] ?? nowMs);
  // With fewer held executions than workers, the free workers are free now.
  if (heldEnds.length < slots) free.fill(nowMs, heldEnds.length);

  const heldAt = (sim: SimUser, atMs: number): number => {
    // fold ended spans into closedSeconds: their charge no longer grows
    for (let index = sim.held.length - 1; index >= 0; index -= 1) {
      const span = sim.held[index]!;
      if (span.endMs <= atMs) {
        sim.closedSeconds += chargeSeconds(0, 0, [span], atMs, settings);
        sim.held.splice(index, 1);
      }
    }
    return sim.held.length;
  };
  const candidate = (sim: SimUser, atMs: number): WaitingExecution | undefined => {
    for (const level of sim.waiting) for (const execution of level) if (!execution.not_before || execution.not_before.getTime() <= atMs) return execution;
    return undefined;
  };

  let remaining = snapshot.waiting.length;
  const starts: PredictedStart[] = [];
  while (remaining > 0) {
    let slot = 0;
    for (let index = 1; index < free.length; index += 1) if (free[index]! < free[slot]!) slot = index;
    const atMs = free[slot]!;
    let best: { execution: WaitingExecution; sim: SimUser; quanta: number } | undefined;
    let wakeMs = Number.POSITIVE_INFINITY;
    for (const sim of users.values()) {
      const held = heldAt(sim, atMs);
      const next = candidate(sim, atMs);
      if (!next) {
        for (const level of sim.waiting) for (const execution of level) if (execution.not_before) wakeMs = Math.min(wakeMs, execution.not_before.getTime());
        continue;
      }
      if (settings.max_running_per_user !== null && held >= settings.max_running_per_user) {
        for (const span of sim.held) wakeMs = Math.min(wakeMs, span.endMs);
        continue;
      }
      const quanta = quantaOf(sim.closedSeconds + chargeSeconds(sim.finishedSeconds, sim.finishedExecutions, sim.held, atMs, settings), settings);
      if (!best || next.priority < best.execution.priority || (next.priority === best.execution.priority && (quanta < best.quanta || (quanta === best.quanta && byAge(next, best.execution) < 0)))) {
        best = { execution: next, sim, quanta };
      }
    }
    if (!best) {
      if (!Number.isFinite(wakeMs) || wakeMs <= atMs) break;
      free[slot] = wakeMs;
      continue;
    }
    const level = best.sim.waiting[best.execution.priority]!;
    level.splice(level.indexOf(best.execution), 1);
    remaining -= 1;
    const endMs = atMs + Math.max(best.sim.durationMs, 1);
    best.sim.held.push({ startMs: atMs, endMs });
    free[slot] = endMs;
    starts.push({ id: best.execution.id, user_id: best.execution.user_id, position: starts.length + 1, startInSeconds: snapshot.workers > 0 ? Math.max(0, (atMs - nowMs) / 1000) : null });
    if (best.execution.id === until) break;
  }
  return starts;
}

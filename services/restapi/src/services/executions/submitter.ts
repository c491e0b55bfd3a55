import { randomUUID } from 'node:crypto';
import { heartbeatLimits, isTerminal, priorityRank, queueForGpus, type JobInput, type ExecutionSpec, type Identity, type InputRef, type Parameters } from '@plz/contracts';
import type { JobQueues } from '../../adapters/job-queues.js';
import { AppError } from '../../errors.js';
import type { ExecutionsRepository, NewExecution, StoredExecution } from '../../repositories/executions.js';
import type { SweepsRepository } from '../../repositories/sweeps.js';
import type { Blobs } from '../blobs.js';
import type { WorkerDirectory } from '../workers.js';
import { limitProblems } from './limits.js';
import { reuseKey } from './reuse-key.js';
import type { PriorityPolicy } from './priorities.js';

/** The job payload's input: a stored input, or an earlier execution's output named by its MLflow run. */
export type ResolvedInput = JobInput;

/** What the checks of a spec found: the queue that serves it and its resolved input. */
interface Checked {
  queue: string;
  input: ResolvedInput;
}

/** An execution spec without parameters (a sweep's common part). */
export type BaseSpec = Omit<ExecutionSpec, 'parameters' | 'reuse'>;

/**
 * Submits executions: checks that the snapshot and input exist and that a live worker serves the
 * queue, records the executions (state `queued`), then enqueues one BullMQ job each.
 */
export class Submitter {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly sweeps: SweepsRepository,
    private readonly blobs: Blobs,
    private readonly queues: JobQueues,
    private readonly workers: WorkerDirectory,
    private readonly priorities: PriorityPolicy,
  ) {}

  /**
   * Submits one execution. With `spec.reuse`, an earlier succeeded execution of the same user with
   * the same reuse key (reuse-key.ts) gives its results at once instead: the new execution is
   * recorded `succeeded` with `reused_from` naming it, nothing is queued, and neither the worker
   * check nor the priority allowance applies. Otherwise (or on a miss) it is checked, recorded
   * `queued` and enqueued.
   *
   * @param rerunOf id of the execution this one repeats, if any.
   * @returns the stored execution.
   * @throws AppError `snapshot_missing`, `input_missing`, `over_limit` (422), `no_worker` (409) or
   *   `priority_not_allowed` (403).
   */
  async submit(spec: ExecutionSpec, who: Identity, rerunOf: string | null = null): Promise<StoredExecution> {
    let input: Promise<ResolvedInput> | undefined;
    if (spec.reuse) {
      input = this.resolveInput(spec.input);
      const reused = await this.reuse(spec, await input, who, rerunOf);
      if (reused) return reused;
    }
    await this.priorities.check(who, spec.priority, 1);
    const checked = await this.check(spec, input);
    const row = this.row(spec, spec.parameters, checked, who, null, rerunOf);
    const [stored] = await this.executions.insert([row], who.name);
    await this.enqueue(checked.queue, [row]);
    return stored!;
  }

  /**
   * The reuse of an earlier execution for `spec`, recorded (ExecutionStore.insertReused), or null
   * when the user has no succeeded execution with its reuse key (one index probe).
   */
  private async reuse(spec: ExecutionSpec, input: ResolvedInput, who: Identity, rerunOf: string | null): Promise<StoredExecution | null> {
    const queue = queueForGpus(spec.resources.gpus);
    const row = this.row(spec, spec.parameters, { queue, input }, who, null, rerunOf);
    const source = await this.executions.store.reusable(row.reuse_key!, who.id);
    if (!source) return null;
    return this.executions.insertReused(row, source, who.name);
  }

  /**
   * Submits one execution per parameter set under a new sweep, all recorded in one transaction
   * and enqueued at once.
   *
   * @returns the sweep id and the executions' ids in parameter-set order.
   */
  async submitSweep(spec: BaseSpec, parameterSets: readonly Parameters[], who: Identity, sweepSpec: unknown): Promise<{ id: string; executions: string[] }> {
    await this.priorities.check(who, spec.priority, parameterSets.length);
    const checked = await this.check(spec);
    const sweepId = randomUUID();
    const rows = parameterSets.map((parameters) => this.row(spec, parameters, checked, who, sweepId, null));
    await this.sweeps.create({ id: sweepId, project: spec.project, user_id: who.id, spec: sweepSpec }, rows);
    await this.enqueue(checked.queue, rows);
    return { id: sweepId, executions: rows.map((row) => row.id) };
  }

  private row(spec: BaseSpec, parameters: Parameters, checked: Checked, who: Identity, sweepId: string | null, rerunOf: string | null): NewExecution {
    const key = reuseKey({ snapshot: spec.snapshot, input: checked.input, parameters, resources: spec.resources, queue: checked.queue, maxRunSeconds: spec.max_run_seconds ?? null });
    return {
      id: randomUUID(),
      project: spec.project,
      name: spec.name ?? null,
      tags: spec.tags,
      user_id: who.id,
      queue: checked.queue,
      snapshot: spec.snapshot,
      input: checked.input,
      parameters,
      resources: spec.resources,
      max_run_seconds: spec.max_run_seconds ?? null,
      sweep_id: sweepId,
      rerun_of: rerunOf,
      priority: priorityRank(spec.priority),
      reuse_key: key,
    };
  }

  /**
   * One queue job per row, carrying the execution id (the worker reads the rest from the row). When
   * Redis refuses, the rows end in `error` with the reason; if this process dies between the insert
   * and here, the reconciler enqueues the rows it finds `queued` without a job.
   */
  private async enqueue(queue: string, rows: readonly NewExecution[]): Promise<void> {
    try {
      await this.queues.enqueue(queue, rows.map((row) => row.id));
    } catch (error) {
      const reason = `could not enqueue the job: ${error instanceof Error ? error.message : String(error)}`;
      await Promise.all(rows.map((row) => this.executions.endQueued(row.id, 'error', reason))).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs the three checks at once; reports the first problem in the order snapshot, input, worker.
   * `input`: the input's resolution when already under way.
   */
  private async check(spec: BaseSpec, input?: Promise<ResolvedInput>): Promise<Checked> {
    const queue = queueForGpus(spec.resources.gpus);
    const [snapshot, resolved, worker] = await Promise.allSettled([
      this.checkSnapshot(spec.snapshot),
      input ?? this.resolveInput(spec.input),
      this.checkWorkers(queue, spec),
    ]);
    for (const outcome of [snapshot, resolved, worker]) if (outcome.status === 'rejected') throw outcome.reason;
    return { queue, input: (resolved as PromiseFulfilledResult<ResolvedInput>).value };
  }

  private async checkSnapshot(sha256: string): Promise<void> {
    if ((await this.blobs.size('snapshot', sha256)) === null) {
      throw new AppError('snapshot_missing', `snapshot ${sha256} is not stored: upload it with PUT /api/v1/snapshots/${sha256} first`, { snapshot: sha256 });
    }
  }

  /**
   * A stored input must exist; an earlier execution's output must come from an execution that has
   * ended and has an MLflow run (where its output artifacts live).
   */
  private async resolveInput(input: InputRef | null): Promise<ResolvedInput> {
    if (input === null) return null;
    if (input.kind === 'input') {
      if ((await this.blobs.size('input', input.sha256)) === null) {
        throw new AppError('input_missing', `input ${input.sha256} is not stored: upload it with PUT /api/v1/inputs/${input.sha256} first`, { input: input.sha256 });
      }
      return input;
    }
    const source = await this.executions.find(input.execution_id);
    if (!source) throw new AppError('input_missing', `execution ${input.execution_id} (the input) does not exist`, { execution_id: input.execution_id });
    if (!isTerminal(source.state) || !source.mlflow_experiment_id || !source.mlflow_run_id) {
      throw new AppError('input_missing', `execution ${input.execution_id} has no stored output to use as input (state ${source.state})`, {
        execution_id: input.execution_id,
        state: source.state,
      });
    }
    return {
      kind: 'execution_output',
      execution_id: source.id,
      mlflow_experiment_id: source.mlflow_experiment_id,
      mlflow_run_id: source.mlflow_run_id,
    };
  }

  /**
   * A live worker must serve the queue (unless `queue_without_worker`), and at least one of those
   * alive must accept the request's resources and run time (their limits come with their
   * heartbeats; a worker that publishes none accepts anything).
   */
  private async checkWorkers(queue: string, spec: BaseSpec): Promise<void> {
    const live = await this.workers.live();
    const serving = live.filter((beat) => beat.queue === queue);
    if (serving.length === 0) {
      if (spec.queue_without_worker) return;
      const served = [...new Set(live.map((beat) => beat.queue))].sort();
      const gpus = spec.resources.gpus;
      const asked = gpus === 0 ? 'no GPU' : `${gpus} GPU${gpus > 1 ? 's' : ''}`;
      throw new AppError(
        'no_worker',
        `no live worker serves queue "${queue}" (the execution asks for ${asked}); ` +
          (served.length ? `live workers serve: ${served.join(', ')}. ` : 'no worker is alive. ') +
          'Start such a worker, or set queue_without_worker to queue it anyway.',
        { queue, live_queues: served },
      );
    }
    const verdicts = serving.map((beat) => {
      const limits = heartbeatLimits(beat);
      return limits ? limitProblems(spec.resources, spec.max_run_seconds, limits) : [];
    });
    if (verdicts.some((problems) => problems.length === 0)) return;
    const problems = verdicts[0]!;
    throw new AppError('over_limit', `no worker of queue "${queue}" accepts this execution: ${problems.join('; ')}. Ask for less, or ask an admin to raise the limit.`, {
      queue,
      problems,
    });
  }
}

import type { Readable } from 'node:stream';
import { isTerminal, Parameters, sweepParameterSets, type Identity, type SweepCreated, type SweepSpec, type SweepStatus, type SweepStopResult, type SweepSummary } from '@plz/contracts';
import { AppError, notFound } from '../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../repositories/executions.js';
import type { StoredSweep, SweepsRepository } from '../repositories/sweeps.js';
import type { OutputArchive } from './executions/output-archive.js';
import type { Stopper } from './executions/stopper.js';
import type { Submitter } from './executions/submitter.js';

/** Sweeps: one execution per parameter set under one sweep id (Logistician's parameter sets). */
export class Sweeps {
  constructor(
    private readonly sweeps: SweepsRepository,
    private readonly executions: ExecutionsRepository,
    private readonly submitter: Submitter,
    private readonly stopper: Stopper,
    private readonly archive: OutputArchive,
  ) {}

  /**
   * Expands the parameters (list, or grid as a cartesian product) and submits one execution each.
   *
   * @throws AppError `validation_failed` for a grid past maxSweepSize or a set past 64 KiB; any
   *   refusal of Submitter (snapshot, input, worker), checked once for the whole sweep.
   */
  async create(spec: SweepSpec, who: Identity): Promise<SweepCreated> {
    let sets: Parameters[];
    try {
      sets = sweepParameterSets(spec.parameters);
    } catch (error) {
      throw new AppError('validation_failed', (error as Error).message, [{ path: 'body.parameters', message: (error as Error).message }]);
    }
    const tooLarge = sets.findIndex((set) => !Parameters.safeParse(set).success);
    if (tooLarge >= 0) {
      throw new AppError('validation_failed', `parameter set ${tooLarge} is larger than 64 KiB of JSON`, [{ path: `body.parameters.${tooLarge}`, message: 'parameters are limited to 64 KiB of JSON' }]);
    }
    const { parameters: _sets, ...base } = spec;
    return this.submitter.submitSweep(base, sets, who, spec);
  }

  private async find(id: string): Promise<StoredSweep> {
    const sweep = await this.sweeps.find(id);
    if (!sweep) throw notFound('sweep', id);
    return sweep;
  }

  /** The sweep, counts of its executions per state and each execution's state. @throws AppError `not_found`. */
  async status(id: string): Promise<SweepStatus> {
    const sweep = await this.find(id);
    const executions = await this.executions.ofSweep(id, { measures: false });
    const counts: Record<string, number> = {};
    for (const execution of executions) counts[execution.state] = (counts[execution.state] ?? 0) + 1;
    return {
      id: sweep.id,
      project: sweep.project,
      user: sweep.user,
      created_at: sweep.created_at,
      counts,
      executions: executions.map((execution) => ({ id: execution.id, state: execution.state, exit_code: execution.exit_code, parameters: execution.parameters })),
    };
  }

  /**
   * The sweep and its executions (parameters, summary, times; measures left out, as null), in
   * submission order: what the web view's sweep page compares side by side. @throws AppError `not_found`.
   */
  async detail(id: string): Promise<{ sweep: Omit<SweepSummary, 'size'>; executions: StoredExecution[] }> {
    const sweep = await this.find(id);
    const executions = await this.executions.ofSweep(id, { measures: false });
    return { sweep: { id: sweep.id, project: sweep.project, user: sweep.user, created_at: sweep.created_at }, executions };
  }

  /** Sweeps, newest first, optionally of one project. */
  list(project: string | undefined, limit: number): Promise<SweepSummary[]> {
    return this.sweeps.list(project, limit);
  }

  /**
   * Stops every execution of the sweep that is not over (owner of the sweep or an admin).
   * @throws AppError `not_found`, `forbidden`.
   */
  async stop(id: string, who: Identity): Promise<SweepStopResult> {
    const sweep = await this.find(id);
    if (who.role !== 'admin' && sweep.user_id !== who.id) {
      throw new AppError('forbidden', `sweep ${id} belongs to ${sweep.user}: only its owner or an admin can stop it`);
    }
    const running = (await this.executions.ofSweep(id, { measures: false })).filter((execution) => !isTerminal(execution.state));
    const results = [];
    for (const execution of running) {
      try {
        results.push(await this.stopper.stopExecution(execution, who));
      } catch (error) {
        // Ended between the read and the stop: nothing left to do for it.
        if (!(error instanceof AppError && error.code === 'not_stoppable')) throw error;
      }
    }
    return { id, results };
  }

  /** The outputs of the sweep's executions as one tar, a folder per execution id. @throws AppError `not_found`, `no_output`. */
  async output(id: string): Promise<Readable> {
    await this.find(id);
    return this.archive.executionsOf(await this.executions.ofSweep(id), `sweep ${id}`);
  }
}

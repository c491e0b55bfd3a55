import type { Knex } from 'knex';
import { terminalStates, type ExecutionState } from '@plz/contracts';

/** The columns of an execution that the worker reads (table `executions`, migrations in services/restapi). */
export interface ExecutionRow {
  id: string;
  project: string;
  name: string | null;
  state: ExecutionState;
  snapshot: string;
  worker_id: string | null;
  mlflow_experiment_id: string | null;
  mlflow_run_id: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  max_run_seconds: number | null;
}

/** How an execution ended, as the worker records it. */
export interface ExecutionEnd {
  state: 'succeeded' | 'failed' | 'stopped' | 'error';
  exitCode: number | null;
  /** The reason of an `error` end (or a note on a `failed` one, e.g. out of memory). */
  error: string | null;
  measures: Record<string, unknown> | null;
  summary: unknown;
}

const terminal = [...terminalStates];
const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * The worker's writes to `executions`: every transition is one conditional UPDATE (never out of a
 * terminal state), so a row is claimed, harvested and ended once even when workers race.
 */
export class ExecutionsRepository {
  constructor(private readonly db: Knex) {}

  /** The execution, or undefined when there is no such row. */
  async get(id: string): Promise<ExecutionRow | undefined> {
    const row = (await this.db('executions')
      .where({ id })
      .first('id', 'project', 'name', 'state', 'snapshot', 'worker_id', 'mlflow_experiment_id', 'mlflow_run_id', 'started_at', 'finished_at', 'max_run_seconds')) as ExecutionRow | undefined;
    return row;
  }

  /**
   * Takes the execution for this worker: `queued` → `preparing`, or a `preparing` one again when it
   * was this worker's or `takeOverFrom`'s (a dead worker's). Records the worker id and its GPUs.
   *
   * @returns false when the row is in any other state (another worker has it, or it ended).
   */
  async claim(id: string, workerId: string, gpus: readonly string[], takeOverFrom?: string): Promise<boolean> {
    const owners = [workerId, ...(takeOverFrom ? [takeOverFrom] : [])];
    const count = await this.db('executions')
      .where({ id })
      .andWhere((query) => query.where('state', 'queued').orWhere((inner) => inner.where('state', 'preparing').whereIn('worker_id', owners)))
      .update({ state: 'preparing', worker_id: workerId, gpus: JSON.stringify(gpus), updated_at: this.db.fn.now() });
    return count === 1;
  }

  /** Records the MLflow experiment and run of the execution. */
  async setMlflowRun(id: string, experimentId: string, runId: string): Promise<void> {
    await this.db('executions').where({ id }).update({ mlflow_experiment_id: experimentId, mlflow_run_id: runId, updated_at: this.db.fn.now() });
  }

  /** `preparing` → `running` with the container's start time; false when the row left `preparing`. */
  async markRunning(id: string, startedAt: Date): Promise<boolean> {
    const count = await this.db('executions').where({ id, state: 'preparing' }).update({ state: 'running', started_at: startedAt, updated_at: this.db.fn.now() });
    return count === 1;
  }

  /**
   * `running` → `harvesting`, or a `harvesting` row of this worker again (a harvest cut short by
   * a restart is redone: uploads overwrite, metrics carry fixed timestamps).
   *
   * @returns false when the harvest is not this worker's to do (ended, or another worker's).
   */
  async markHarvesting(id: string, workerId: string): Promise<boolean> {
    const count = await this.db('executions')
      .where({ id, worker_id: workerId })
      .whereIn('state', ['running', 'harvesting'])
      .update({ state: 'harvesting', updated_at: this.db.fn.now() });
    return count === 1;
  }

  /** Records the end; false when the row was already in a terminal state (nothing changed). */
  async finish(id: string, end: ExecutionEnd): Promise<boolean> {
    const count = await this.db('executions')
      .where({ id })
      .whereNotIn('state', terminal)
      .update({
        state: end.state,
        exit_code: end.exitCode,
        error: end.error,
        measures: json(end.measures),
        summary: json(end.summary),
        finished_at: this.db.fn.now(),
        updated_at: this.db.fn.now(),
      });
    return count === 1;
  }

  /** Executions this worker holds in a non-terminal state after `queued` (to recover at start). */
  async listActive(workerId: string): Promise<Array<Pick<ExecutionRow, 'id' | 'state'>>> {
    return (await this.db('executions').where({ worker_id: workerId }).whereIn('state', ['preparing', 'running', 'harvesting']).select('id', 'state')) as Array<
      Pick<ExecutionRow, 'id' | 'state'>
    >;
  }
}

import { artifactPathFromUri, experimentKinds, MlflowClient, mlflowTags, runArtifactRoot, type Metric, type Param, type RunInfo, type Tag } from '@plz/mlflow-client';

/**
 * Tags every project's experiment carries: `mlflow.experimentKind` = `custom_model_development`,
 * which MLflow's UI shows as a model-training ("Machine learning") experiment rather than a GenAI one.
 */
export const experimentTags: Readonly<Record<string, string>> = Object.freeze({ [mlflowTags.experimentKind]: experimentKinds.modelTraining });

/** The MLflow run of an execution: ids and where its artifacts live in the proxied store. */
export interface TrackedRun {
  experimentId: string;
  runId: string;
  /**
   * Path of the run's artifact root in the artifact store (`<experiment_id>/<run_id>/artifacts`),
   * which is the key prefix in the `mlflow` bucket (`mlflow server --artifacts-destination s3://mlflow`).
   */
  artifactRoot: string;
}

/** MLflow's terminal run statuses (mlflow.entities.RunStatus). */
export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

/**
 * The MLflow operations the worker uses, over @plz/mlflow-client (which retries connection
 * errors and 5xx, and splits log-batch requests to MLflow's limits). The only MLflow code of the
 * worker: services get this object.
 */
export class MlflowTracking {
  readonly #client: MlflowClient;
  readonly #logConcurrency: number;
  /** Experiment ids by project, once looked up (an experiment's id never changes). */
  readonly #experiments = new Map<string, string>();

  /**
   * @param baseUrl MLflow's base URL (REST API under `<baseUrl>/api/2.0/mlflow/`).
   * @param options.logConcurrency log-batch requests in flight at once (1-16, default 1).
   * @param options.credentials HTTP Basic user and password (a worker host, through the controller's NGINX).
   */
  constructor(baseUrl: string, options: { logConcurrency?: number; credentials?: { username: string; password: string } } = {}) {
    const credentials = options.credentials;
    const headers = credentials ? { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : undefined;
    this.#client = new MlflowClient(headers ? { baseUrl, headers } : { baseUrl });
    this.#logConcurrency = options.logConcurrency ?? 1;
  }

  /**
   * Id of the experiment named after the project (one experiment per project), created when
   * missing with `experimentTags`; an existing experiment that lacks one of them (made by an older
   * plz) gets it, and one that has it keeps its value. This is the one get-by-name request as
   * before, plus one set-experiment-tag the first time only; the id is then remembered (no request
   * for the project's later executions) until `forgetExperiment`.
   */
  async experimentFor(project: string): Promise<string> {
    const known = this.#experiments.get(project);
    if (known !== undefined) return known;
    const id = await this.#client.getOrCreateExperiment(project, { ...experimentTags });
    this.#experiments.set(project, id);
    return id;
  }

  /** Forgets the remembered experiment of `project` (a run could not be created in it: deleted or restored meanwhile). */
  forgetExperiment(project: string): void {
    this.#experiments.delete(project);
  }

  /** Creates a RUNNING run with `tags` (starting now, `startTime` in ms). */
  async createRun(input: { experimentId: string; runName: string; startTime: number; tags: Record<string, string> }): Promise<TrackedRun> {
    return tracked((await this.#client.createRun(input)).info);
  }

  /** The artifact root of an existing run (after a worker restart). */
  async getRun(runId: string): Promise<TrackedRun> {
    return tracked((await this.#client.getRun(runId)).info);
  }

  /**
   * Logs metrics, params and tags (split into requests within MLflow's limits by the client, sent
   * `logConcurrency` at a time).
   */
  async log(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: Tag[] }): Promise<void> {
    await this.#client.logBatch(runId, batch, { concurrency: this.#logConcurrency });
  }

  /** Sets one tag. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#client.setTag(runId, key, value);
  }

  /**
   * Ends the run with `status` at `endTime` (ms) if it is still RUNNING (an execution ended without
   * its worker, e.g. stopped through the REST API while the worker was gone).
   *
   * @returns whether the run was still running and is now ended.
   */
  async endIfRunning(runId: string, status: RunEndStatus, endTime: number): Promise<boolean> {
    const run = await this.#client.getRun(runId);
    if (run.info.status !== 'RUNNING') return false;
    await this.#client.updateRun({ runId, status, endTime });
    return true;
  }

  /** Ends the run with `status` at `endTime` (ms). */
  async endRun(runId: string, status: RunEndStatus, endTime: number): Promise<void> {
    await this.#client.updateRun({ runId, status, endTime });
  }
}

const tracked = (info: RunInfo): TrackedRun => ({
  experimentId: info.experiment_id,
  runId: info.run_id,
  artifactRoot: info.artifact_uri ? artifactPathFromUri(info.artifact_uri) : runArtifactRoot(info.experiment_id, info.run_id),
});

import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import createClient, { type Client } from 'openapi-fetch';
import pMap from 'p-map';
import { artifactPath, encodeArtifactPath, type ArtifactLocation } from './artifacts.js';
import type { paths } from './generated/mlflow.js';
import { isMlflowError, MlflowError, mlflowErrorCodes } from './http/errors.js';
import { Transport, type TransportOptions } from './http/transport.js';
import { splitLogBatch, type LogBatch, type Metric } from './limits.js';
import { decodeMetric, decodeRun, encodeMetric, encodeMetricValue, type Experiment, type FileInfo, type Run, type RunInfo, type RunStatus, type ViewType } from './types.js';

export interface MlflowClientOptions extends TransportOptions {
  /**
   * Base URL of the tracking server, with its path prefix if it runs behind a proxy under one
   * (`http://mlflow:5000`, `https://plz.example.org/mlflow` for `--static-prefix /mlflow`).
   * Credentials cannot go in the URL (fetch refuses them): put them in `headers`.
   */
  baseUrl: string;
}

export interface CreateRunInput {
  experimentId: string;
  /** Shown in the MLflow UI; MLflow picks a random name when left out. */
  runName?: string;
  /** Milliseconds since the Unix epoch (default: now). */
  startTime?: number;
  /** Tags set at creation (keys: MLflow's key rules, values up to 8000 characters). */
  tags?: Record<string, string>;
  userId?: string;
}

export interface UpdateRunInput {
  runId: string;
  status?: RunStatus;
  /** Milliseconds since the Unix epoch. */
  endTime?: number;
  runName?: string;
}

export interface SearchRunsInput {
  experimentIds: string[];
  /** MLflow search syntax, e.g. `tags.plz_execution_id = '…'` or `attributes.status = 'RUNNING'`. */
  filter?: string;
  /** e.g. `['attributes.start_time DESC']`. */
  orderBy?: string[];
  /** Page size, 1 to 50,000 (server default 1000). */
  maxResults?: number;
  /** `nextPageToken` of the previous page. */
  pageToken?: string;
  runViewType?: ViewType;
}

export interface RunsPage {
  runs: Run[];
  /** Present when more runs match: pass it as `pageToken` to get them. */
  nextPageToken?: string;
}

/** Metrics, params and tags for `logBatch`; any of them may be left out. */
export type LogBatchInput = Partial<LogBatch>;

/**
 * Body of an artifact upload. A Buffer (or other bytes) is sent as is and retried like any call;
 * a Node stream is streamed (never held whole in memory) in one attempt, since a consumed stream
 * cannot be sent again; a function returning a new stream is streamed and may be retried.
 */
export type ArtifactBody = Uint8Array | Readable | (() => Readable);

const JSON_OPERATIONS = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));

/**
 * Typed client for the subset of MLflow's REST API that plz uses (openapi/mlflow.yaml).
 *
 * JSON calls go through openapi-fetch, typed by the generated `paths` of our OpenAPI document, with
 * a `fetch` that retries connection errors, timeouts, HTTP 5xx and 429 with exponential backoff
 * (p-retry) and turns any other answer than 2xx into an `MlflowError`; artifact transfers use the
 * same transport with plain `fetch` so that bodies stream both ways.
 *
 * Retrying a call that reached MLflow but got no answer may apply it twice: harmless for reads,
 * tags and log-batch of the same points; `createRun` could leave an extra run.
 */
export class MlflowClient {
  readonly baseUrl: string;
  readonly #transport: Transport;
  readonly #api: Client<paths>;

  constructor(options: MlflowClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#transport = new Transport(options);
    const timeoutMs = this.#transport.requestTimeoutMs;
    this.#api = createClient<paths>({
      baseUrl: this.baseUrl,
      fetch: (request: Request) => this.#transport.send(() => request.clone(), { buffer: true, timeoutMs }),
    });
  }

  /**
   * The experiment named `name` (active or deleted), or null when there is none.
   *
   * @throws MlflowError for any other failure.
   */
  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const { data } = await this.#api.GET(`${JSON_OPERATIONS}/experiments/get-by-name`, { params: { query: { experiment_name: name } } });
      return required(data, 'experiments/get-by-name').experiment;
    } catch (error) {
      if (isMlflowError(error, mlflowErrorCodes.resourceDoesNotExist)) return null;
      throw error;
    }
  }

  /**
   * Creates an experiment with the server's default artifact location (the artifact proxy) and
   * returns its id.
   *
   * @throws MlflowError RESOURCE_ALREADY_EXISTS when the name is taken (even by a deleted experiment).
   */
  async createExperiment(input: { name: string; tags?: Record<string, string> }): Promise<string> {
    const { data } = await this.#api.POST(`${JSON_OPERATIONS}/experiments/create`, { body: { name: input.name, tags: tagList(input.tags) } });
    return required(data, 'experiments/create').experiment_id;
  }

  /**
   * The id of the experiment named `name`, created when missing. Safe when several processes do
   * it at once: losing the creation race (RESOURCE_ALREADY_EXISTS) reads the winner's experiment.
   * A deleted experiment of that name is returned as it is (MLflow keeps names of deleted ones).
   *
   * @param tags set on the experiment when it is created, and on an existing active experiment
   *   for each key it lacks (one set-experiment-tag request per missing key; a key that is there
   *   keeps its value, so a choice made since in MLflow's UI stays). An experiment that has them
   *   all costs the one get-by-name request, as without tags.
   */
  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    const existing = await this.getExperimentByName(name);
    if (existing) {
      await this.#addMissingTags(existing, tags);
      return existing.experiment_id;
    }
    try {
      return await this.createExperiment({ name, tags });
    } catch (error) {
      if (!isMlflowError(error, mlflowErrorCodes.resourceAlreadyExists)) throw error;
      const winner = await this.getExperimentByName(name);
      if (!winner) throw error;
      await this.#addMissingTags(winner, tags);
      return winner.experiment_id;
    }
  }

  async #addMissingTags(experiment: Experiment, tags: Record<string, string> | undefined): Promise<void> {
    if (!tags || experiment.lifecycle_stage === 'deleted') return;
    const present = new Set((experiment.tags ?? []).map((tag) => tag.key));
    for (const [key, value] of Object.entries(tags)) {
      if (!present.has(key)) await this.setExperimentTag(experiment.experiment_id, key, value);
    }
  }

  /**
   * Sets (or overwrites) one tag of an experiment (`POST experiments/set-experiment-tag`); the value
   * may be up to 20,000 characters (MLflow's MAX_EXPERIMENT_TAG_VAL_LENGTH).
   *
   * @throws MlflowError RESOURCE_DOES_NOT_EXIST for an unknown experiment id.
   */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.#api.POST(`${JSON_OPERATIONS}/experiments/set-experiment-tag`, { body: { experiment_id: experimentId, key, value } });
  }

  /** Creates a run (status RUNNING) and returns it. */
  async createRun(input: CreateRunInput): Promise<Run> {
    const { data } = await this.#api.POST(`${JSON_OPERATIONS}/runs/create`, {
      body: {
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime ?? Date.now(),
        tags: tagList(input.tags),
        user_id: input.userId,
      },
    });
    return decodeRun(required(data, 'runs/create').run);
  }

  /**
   * A run with its params, tags and the latest value of each metric.
   *
   * @throws MlflowError RESOURCE_DOES_NOT_EXIST (HTTP 404) for an unknown id.
   */
  async getRun(runId: string): Promise<Run> {
    const { data } = await this.#api.GET(`${JSON_OPERATIONS}/runs/get`, { params: { query: { run_id: runId } } });
    return decodeRun(required(data, 'runs/get').run);
  }

  /** Changes a run's status (e.g. FINISHED, FAILED, KILLED at the end), end time or name; returns its info. */
  async updateRun(input: UpdateRunInput): Promise<RunInfo> {
    const { data } = await this.#api.POST(`${JSON_OPERATIONS}/runs/update`, {
      body: { run_id: input.runId, status: input.status, end_time: input.endTime, run_name: input.runName },
    });
    return required(data, 'runs/update').run_info;
  }

  /** One page of the runs of `experimentIds` that match; follow `nextPageToken` for the rest. */
  async searchRuns(input: SearchRunsInput): Promise<RunsPage> {
    const { data } = await this.#api.POST(`${JSON_OPERATIONS}/runs/search`, {
      body: {
        experiment_ids: input.experimentIds,
        filter: input.filter,
        order_by: input.orderBy,
        max_results: input.maxResults,
        page_token: input.pageToken,
        run_view_type: input.runViewType,
      },
    });
    const page = required(data, 'runs/search');
    return { runs: (page.runs ?? []).map(decodeRun), ...(page.next_page_token ? { nextPageToken: page.next_page_token } : {}) };
  }

  /**
   * Logs metrics, params and tags of a run, split with `splitLogBatch` into requests within
   * MLflow's log-batch limits (1000 metrics, 100 params, 100 tags, 1000 entities, 1 MB). The
   * requests go `options.concurrency` at a time (default 1: one after the other, in order); more
   * than one lets an MLflow server with several workers (`mlflow server --workers N`) store them in
   * parallel, which is safe because MLflow keys metric points by (key, timestamp, step, value) and
   * keeps a run's latest value by step then timestamp, whatever the arrival order.
   * Values that are not finite are sent as MLflow expects them.
   *
   * @param options.concurrency requests in flight at once, an integer from 1 to 16.
   * @returns the number of requests sent (0 for an empty batch).
   * @throws MlflowError from a request that fails (with concurrency 1 the earlier ones are logged
   *   and no later one is sent), e.g. INVALID_PARAMETER_VALUE for a bad key or a param that would
   *   change value; RangeError for a bad `concurrency`; Error from `splitLogBatch` for an entity
   *   larger than a request.
   */
  async logBatch(runId: string, batch: LogBatchInput, options: { concurrency?: number } = {}): Promise<{ requests: number }> {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
      throw new RangeError(`logBatch concurrency must be an integer from 1 to 16, got ${concurrency}`);
    }
    const parts = splitLogBatch({ metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] });
    await pMap(
      parts,
      (part) =>
        this.#api.POST(`${JSON_OPERATIONS}/runs/log-batch`, {
          body: { run_id: runId, metrics: part.metrics.map(encodeMetric), params: part.params, tags: part.tags },
        }),
      { concurrency },
    );
    return { requests: parts.length };
  }

  /** Logs one metric point in its own request (prefer `logBatch`: this is the slow path, for comparison). */
  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.#api.POST(`${JSON_OPERATIONS}/runs/log-metric`, {
      body: { run_id: runId, key: metric.key, value: encodeMetricValue(metric.value), timestamp: metric.timestamp, step: metric.step },
    });
  }

  /** Sets (or overwrites) one tag of a run; the value may be up to 8000 characters. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.#api.POST(`${JSON_OPERATIONS}/runs/set-tag`, { body: { run_id: runId, key, value } });
  }

  /**
   * Every point logged for metric `key` of a run, in MLflow's order (as logged), values decoded to
   * numbers and steps defaulting to 0.
   *
   * @param options.pageSize ask MLflow for pages of this many points (default: the whole history in
   *   one response); pages are followed until the last.
   */
  async getMetricHistory(runId: string, key: string, options: { pageSize?: number } = {}): Promise<Metric[]> {
    const points: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const { data } = await this.#api.GET(`${JSON_OPERATIONS}/metrics/get-history`, {
        params: { query: { run_id: runId, metric_key: key, max_results: options.pageSize, page_token: pageToken } },
      });
      const page = required(data, 'metrics/get-history');
      points.push(...(page.metrics ?? []).map(decodeMetric));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return points;
  }

  /**
   * Stores `body` as the artifact at `location` through MLflow's artifact proxy
   * (`PUT /api/2.0/mlflow-artifacts/artifacts/<path>`), replacing any file there. Streams are sent
   * chunked as they are read.
   *
   * @throws TypeError for a path with empty, `.` or `..` segments; MlflowError when MLflow refuses
   *   or the transfer fails.
   */
  async uploadArtifact(location: ArtifactLocation, body: ArtifactBody): Promise<void> {
    const url = this.#artifactUrl(location);
    const replayable = typeof body === 'function' || !(body instanceof Readable);
    const response = await this.#transport.send(
      () => {
        const source = typeof body === 'function' ? body() : body;
        return new Request(url, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: source,
          ...(source instanceof Readable ? { duplex: 'half' as const } : {}),
        });
      },
      { retry: replayable },
    );
    await response.body?.cancel();
  }

  /**
   * The bytes of the artifact at `location`, as a Node stream (read it to the end or destroy it).
   * Retries cover getting the answer, not a transfer cut later.
   *
   * @throws MlflowError; note that MLflow 3 reports a missing file as INTERNAL_ERROR (HTTP 500),
   *   retried like any 5xx before it is thrown.
   */
  async downloadArtifact(location: ArtifactLocation): Promise<Readable> {
    const url = this.#artifactUrl(location);
    const response = await this.#transport.send(() => new Request(url, { method: 'GET' }));
    if (!response.body) return Readable.from([]);
    return Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  }

  /**
   * The direct children of the artifact folder at `location` (a run's root when `location` is a run
   * without `path`): names relative to that folder, `is_dir`, `file_size` in bytes. A folder that
   * does not exist lists as empty.
   */
  async listArtifacts(location: ArtifactLocation): Promise<FileInfo[]> {
    const { data } = await this.#api.GET(ARTIFACTS, { params: { query: { path: artifactPath(location) } } });
    return required(data, 'mlflow-artifacts/artifacts').files ?? [];
  }

  #artifactUrl(location: ArtifactLocation): string {
    return `${this.baseUrl}${ARTIFACTS}/${encodeArtifactPath(artifactPath(location))}`;
  }
}

function required<T>(data: T | undefined, operation: string): T {
  if (data === undefined) {
    throw new MlflowError({ errorCode: 'EMPTY_RESPONSE', status: 200, mlflowMessage: 'the answer had no JSON body', operation });
  }
  return data;
}

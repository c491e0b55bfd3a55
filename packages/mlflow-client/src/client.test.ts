import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testServices } from '@plz/testkit';
import { randomUUID } from 'node:crypto';
import { MlflowClient } from './client.js';
import { MlflowError, mlflowErrorCodes } from './http/errors.js';
import type { RetryEvent } from './http/transport.js';
import type { Metric } from './limits.js';
import { flattenParams } from './naming/flatten.js';
import { experimentKinds, mlflowTags } from './systemTags.js';
import { startPrefixProxy, type PrefixProxy } from './testing/prefix-proxy.js';

const unique = (label: string) => `plz-test-${label}-${randomUUID()}`;

describe('MlflowClient against a real MLflow server', () => {
  const retries: RetryEvent[] = [];
  let client: MlflowClient;

  beforeAll(() => {
    client = new MlflowClient({ baseUrl: testServices().mlflowUrl, retry: { retries: 2, minTimeoutMs: 10, onRetry: (event) => retries.push(event) } });
  });

  it('gets or creates an experiment, the same one every time, also when racing', async () => {
    const name = unique('experiment');
    expect(await client.getExperimentByName(name)).toBeNull();
    const ids = await Promise.all([client.getOrCreateExperiment(name), client.getOrCreateExperiment(name), client.getOrCreateExperiment(name)]);
    expect(new Set(ids).size).toBe(1);
    expect(await client.getOrCreateExperiment(name)).toBe(ids[0]);
    expect(await client.getExperimentByName(name)).toMatchObject({ experiment_id: ids[0], name, lifecycle_stage: 'active' });
  }, 30_000);

  it('sets experiment tags, overwriting a value, and refuses an unknown experiment with RESOURCE_DOES_NOT_EXIST', async () => {
    const name = unique('experiment-tag');
    const experimentId = await client.createExperiment({ name });
    await client.setExperimentTag(experimentId, 'plz.note', 'first');
    await client.setExperimentTag(experimentId, 'plz.note', 'second');
    expect((await client.getExperimentByName(name))?.tags).toEqual(expect.arrayContaining([{ key: 'plz.note', value: 'second' }]));
    await expect(client.setExperimentTag('987654321', 'plz.note', 'x')).rejects.toMatchObject({ errorCode: mlflowErrorCodes.resourceDoesNotExist, status: 404 });
  }, 30_000);

  it('gives a new experiment its tags, and an existing one those it lacks, keeping values already set', async () => {
    const fresh = unique('kind-new');
    await client.getOrCreateExperiment(fresh, { [mlflowTags.experimentKind]: experimentKinds.modelTraining });
    expect((await client.getExperimentByName(fresh))?.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.experimentKind', value: 'custom_model_development' }]));

    // made by an older plz: no kind tag
    const older = unique('kind-older');
    const olderId = await client.createExperiment({ name: older });
    expect(await client.getOrCreateExperiment(older, { [mlflowTags.experimentKind]: experimentKinds.modelTraining, 'plz.other': 'x' })).toBe(olderId);
    expect((await client.getExperimentByName(older))?.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.experimentKind', value: 'custom_model_development' }, { key: 'plz.other', value: 'x' }]));

    // switched to GenAI by someone in MLflow's UI: left as it is
    const chosen = unique('kind-chosen');
    const chosenId = await client.createExperiment({ name: chosen, tags: { [mlflowTags.experimentKind]: experimentKinds.genai } });
    expect(await client.getOrCreateExperiment(chosen, { [mlflowTags.experimentKind]: experimentKinds.modelTraining })).toBe(chosenId);
    expect((await client.getExperimentByName(chosen))?.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.experimentKind', value: 'genai_development' }]));
  }, 30_000);

  it('refuses to create an experiment twice with RESOURCE_ALREADY_EXISTS', async () => {
    const name = unique('twice');
    await client.createExperiment({ name });
    await expect(client.createExperiment({ name })).rejects.toMatchObject({ errorCode: mlflowErrorCodes.resourceAlreadyExists, status: 400 });
  }, 30_000);

  it('runs a run from RUNNING to FINISHED with tags', async () => {
    const experimentId = await client.getOrCreateExperiment(unique('lifecycle'));
    const startTime = Date.now() - 5000;
    const run = await client.createRun({ experimentId, runName: 'lifecycle', startTime, tags: { 'plz.execution_id': 'e-1' } });
    expect(run.info).toMatchObject({ experiment_id: experimentId, run_name: 'lifecycle', status: 'RUNNING', start_time: startTime });
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${run.info.run_id}/artifacts`);
    await client.setTag(run.info.run_id, 'plz.worker', 'worker-gpu-0');
    const endTime = Date.now();
    const info = await client.updateRun({ runId: run.info.run_id, status: 'FINISHED', endTime });
    expect(info).toMatchObject({ status: 'FINISHED', end_time: endTime });
    const read = await client.getRun(run.info.run_id);
    expect(read.info.status).toBe('FINISHED');
    expect(read.data.tags).toEqual(expect.arrayContaining([{ key: 'plz.execution_id', value: 'e-1' }, { key: 'plz.worker', value: 'worker-gpu-0' }]));
  }, 30_000);

  it('logs 2500 metric points in three requests and reads them all back with their steps', async () => {
    const experimentId = await client.getOrCreateExperiment(unique('metrics'));
    const { info } = await client.createRun({ experimentId });
    const timestamp = Date.now();
    const metrics: Metric[] = Array.from({ length: 2500 }, (_, step) => ({ key: 'train/loss', value: 1 / (step + 1), timestamp: timestamp + step, step }));
    metrics[7]!.value = Number.NaN;
    metrics[8]!.value = Number.POSITIVE_INFINITY;
    expect(await client.logBatch(info.run_id, { metrics })).toEqual({ requests: 3 });
    const history = await client.getMetricHistory(info.run_id, 'train/loss');
    expect(history).toHaveLength(2500);
    const byStep = [...history].sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
    expect(byStep.map((m) => m.step)).toEqual(metrics.map((m) => m.step));
    // NaN round-trips; MLflow's SQL store keeps infinities as the largest double
    expect(byStep.map((m) => m.value)).toEqual(metrics.map((m) => (m.value === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : m.value)));
    const paged = await client.getMetricHistory(info.run_id, 'train/loss', { pageSize: 1000 });
    expect(paged).toHaveLength(2500);
    const run = await client.getRun(info.run_id);
    expect(run.data.metrics).toEqual([expect.objectContaining({ key: 'train/loss', step: 2499 })]);
  }, 60_000);

  it('sends log-batch requests concurrently when asked, every point stored and the latest value the highest step', async () => {
    const experimentId = await client.getOrCreateExperiment(unique('concurrent'));
    const { info } = await client.createRun({ experimentId });
    const timestamp = Date.now();
    // two keys interleaved, 4000 points: 4 requests, 3 in flight at once
    const metrics: Metric[] = Array.from({ length: 4000 }, (_, i) => ({ key: `k${i % 2}`, value: i, timestamp: timestamp + i, step: Math.floor(i / 2) }));
    expect(await client.logBatch(info.run_id, { metrics }, { concurrency: 3 })).toEqual({ requests: 4 });
    for (const key of ['k0', 'k1']) {
      const history = await client.getMetricHistory(info.run_id, key);
      expect(history.map((m) => m.step).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 2000 }, (_, step) => step));
    }
    const run = await client.getRun(info.run_id);
    expect(run.data.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'k0', step: 1999, value: 3998 }), expect.objectContaining({ key: 'k1', step: 1999, value: 3999 })]));
    await expect(client.logBatch(info.run_id, { metrics }, { concurrency: 0 })).rejects.toThrow(RangeError);
  }, 60_000);

  it('splits 150 params across requests, all of them stored', async () => {
    const experimentId = await client.getOrCreateExperiment(unique('params'));
    const { info } = await client.createRun({ experimentId });
    const parameters = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`group${i % 3}`, {}]));
    for (let i = 0; i < 150; i += 1) (parameters[`group${i % 3}`] as Record<string, unknown>)[`p${i}`] = i % 2 ? i : { nested: `v${i}` };
    const params = flattenParams(parameters);
    expect(params).toHaveLength(150);
    expect(await client.logBatch(info.run_id, { params, tags: [{ key: 'kind', value: 'params' }] })).toEqual({ requests: 2 });
    const run = await client.getRun(info.run_id);
    expect(run.data.params).toHaveLength(150);
    expect(run.data.params).toEqual(expect.arrayContaining([{ key: 'group1.p1', value: '1' }, { key: 'group0.p0.nested', value: 'v0' }]));
    // logging the same params again is accepted; changing one is refused by MLflow
    await client.logBatch(info.run_id, { params: params.slice(0, 5) });
    await expect(client.logBatch(info.run_id, { params: [{ key: 'group1.p1', value: 'changed' }] })).rejects.toMatchObject({
      errorCode: mlflowErrorCodes.invalidParameterValue,
    });
  }, 60_000);

  it('pages through search results', async () => {
    const experimentId = await client.getOrCreateExperiment(unique('search'));
    const created = [];
    for (let i = 0; i < 3; i += 1) created.push((await client.createRun({ experimentId, tags: { batch: 'b1' } })).info.run_id);
    const first = await client.searchRuns({ experimentIds: [experimentId], filter: "tags.batch = 'b1'", maxResults: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextPageToken).toBeDefined();
    const second = await client.searchRuns({ experimentIds: [experimentId], filter: "tags.batch = 'b1'", maxResults: 2, pageToken: first.nextPageToken! });
    expect(second.runs).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();
    expect([...first.runs, ...second.runs].map((r) => r.info.run_id).sort()).toEqual(created.sort());
  }, 30_000);

  it('maps errors to MlflowError without retrying client errors', async () => {
    const before = retries.length;
    const failure = await client.getRun('0123456789abcdef0123456789abcdef').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MlflowError);
    expect(failure).toMatchObject({ errorCode: mlflowErrorCodes.resourceDoesNotExist, status: 404, retryable: false });
    const experimentId = await client.getOrCreateExperiment(unique('errors'));
    const { info } = await client.createRun({ experimentId });
    const badKey = client.logBatch(info.run_id, { params: [{ key: 'bad?key', value: '1' }] });
    await expect(badKey).rejects.toMatchObject({ errorCode: mlflowErrorCodes.invalidParameterValue, status: 400 });
    expect(retries.length).toBe(before);
  }, 30_000);

  it('retries a server error (a real HTTP 500 from MLflow) before giving up', async () => {
    const before = retries.length;
    const missing = client.downloadArtifact({ experimentId: '0', runId: '0123456789abcdef0123456789abcdef', path: `missing-${randomUUID()}.bin` });
    await expect(missing).rejects.toMatchObject({ errorCode: mlflowErrorCodes.internalError, status: 500 });
    expect(retries.slice(before).map((e) => e.attempt)).toEqual([1, 2]);
  }, 30_000);

  describe('behind a reverse proxy under a path prefix', () => {
    let proxy: PrefixProxy;
    beforeAll(async () => {
      proxy = await startPrefixProxy(testServices().mlflowUrl, '/mlflow');
    });
    afterAll(() => proxy.close());

    it('works with the prefix in baseUrl (with or without a trailing slash)', async () => {
      for (const baseUrl of [proxy.url, `${proxy.url}/`]) {
        const prefixed = new MlflowClient({ baseUrl, retry: { retries: 0 } });
        const experimentId = await prefixed.getOrCreateExperiment(unique('prefix'));
        const { info } = await prefixed.createRun({ experimentId });
        await prefixed.logBatch(info.run_id, { metrics: [{ key: 'm', value: 1, timestamp: Date.now(), step: 1 }] });
        expect(await prefixed.getMetricHistory(info.run_id, 'm')).toEqual([expect.objectContaining({ value: 1, step: 1 })]);
      }
    }, 30_000);
  });
});

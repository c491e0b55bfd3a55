import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client, testServices } from '@plz/testkit';
import tar from 'tar-stream';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

let api: TestApi;
let snapshot: string;
let alice: { token: string };
let bob: { token: string };
const s3 = s3Client(testServices().s3);

beforeAll(async () => {
  api = await startTestApi();
  snapshot = await storeBlob(api, 'snapshots');
  alice = await api.user('alice');
  bob = await api.user('bob');
}, 30_000);
afterAll(async () => {
  s3.destroy();
  await api?.close();
});

async function createSweep(token: string, parameters: unknown, overrides: Record<string, unknown> = {}) {
  return api.call('POST', '/api/v1/sweeps', { token, json: { ...spec(snapshot, overrides), parameters } });
}

async function tarNames(path: string): Promise<string[]> {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.admin.token}` } });
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => extract.on('finish', () => resolve()));
  Readable.from([Buffer.from(await response.arrayBuffer())]).pipe(extract);
  await done;
  return names.sort();
}

describe('sweeps', () => {
  it('creates one execution per parameter set of a list, under one sweep id', async () => {
    const answer = await createSweep(alice.token, [{ lr: 1 }, { lr: 2 }, { lr: 3 }], { project: 'sweeping' });
    expect(answer.status).toBe(201);
    expect(answer.json.executions).toHaveLength(3);
    expect(answer.headers.get('location')).toBe(`/api/v1/sweeps/${answer.json.id}`);
    const rows = await api.runtime.db('executions').where({ sweep_id: answer.json.id }).orderBy('created_at');
    expect(rows.map((row: { id: string; parameters: unknown }) => [row.id, row.parameters])).toEqual(answer.json.executions.map((id: string, i: number) => [id, { lr: i + 1 }]));
    const status = await api.call('GET', `/api/v1/sweeps/${answer.json.id}`, { token: bob.token });
    expect(status.json).toMatchObject({ id: answer.json.id, project: 'sweeping', user: 'alice', counts: { queued: 3 } });
    expect(status.json.executions.map((execution: { id: string }) => execution.id)).toEqual(answer.json.executions);
    const listed = await api.call('GET', '/api/v1/sweeps?project=sweeping', { token: bob.token });
    expect(listed.json.sweeps).toEqual([expect.objectContaining({ id: answer.json.id, size: 3, user: 'alice' })]);
  });

  it('expands a grid into its cartesian product', async () => {
    const answer = await createSweep(alice.token, { lr: [0.1, 0.01], layers: [2, 3] });
    expect(answer.status).toBe(201);
    const status = await api.call('GET', `/api/v1/sweeps/${answer.json.id}`, { token: alice.token });
    expect(status.json.executions.map((execution: { parameters: unknown }) => execution.parameters)).toEqual([
      { lr: 0.1, layers: 2 },
      { lr: 0.1, layers: 3 },
      { lr: 0.01, layers: 2 },
      { lr: 0.01, layers: 3 },
    ]);
  });

  it('refuses empty, oversized or malformed parameter sets and records nothing', async () => {
    const count = async () => (await api.runtime.db('sweeps').count({ n: '*' }).first())?.n;
    const before = await count();
    const big = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`p${i}`, Array.from({ length: 6 }, (__, j) => j)]));
    for (const parameters of [[], {}, { lr: [] }, big, 'lr=1', [1, 2], { lr: 1 }]) {
      const answer = await createSweep(alice.token, parameters);
      expect([JSON.stringify(parameters).slice(0, 40), answer.status, answer.json.error.code]).toEqual([JSON.stringify(parameters).slice(0, 40), 400, 'validation_failed']);
    }
    const noWorker = await createSweep(alice.token, [{ lr: 1 }], { queue_without_worker: false, resources: { gpus: 1 } });
    expect([noWorker.status, noWorker.json.error.code]).toEqual([409, 'no_worker']);
    expect(await count()).toBe(before);
  });

  it('stops every unfinished execution for its owner or an admin only', async () => {
    const created = (await createSweep(alice.token, [{ lr: 1 }, { lr: 2 }, { lr: 3 }])).json;
    await api.runtime.db('executions').where({ id: created.executions[0] }).update({ state: 'succeeded' });
    const refused = await api.call('POST', `/api/v1/sweeps/${created.id}/stop`, { token: bob.token });
    expect([refused.status, refused.json.error.code]).toEqual([403, 'forbidden']);
    const stopped = await api.call('POST', `/api/v1/sweeps/${created.id}/stop`, { token: alice.token });
    expect(stopped.status).toBe(200);
    expect(stopped.json.results.map((result: { id: string; outcome: string }) => [result.id, result.outcome])).toEqual([
      [created.executions[1], 'stopped'],
      [created.executions[2], 'stopped'],
    ]);
    const status = await api.call('GET', `/api/v1/sweeps/${created.id}`, { token: alice.token });
    expect(status.json.counts).toEqual({ succeeded: 1, stopped: 2 });
  });

  it('streams the outputs of its executions in one tar, a folder each', async () => {
    await writeHeartbeat(api.redis, { worker_id: 'cpu-0', queue: 'cpu' });
    const created = (await createSweep(alice.token, { seed: [1, 2] }, { queue_without_worker: false })).json;
    const none = await api.call('GET', `/api/v1/sweeps/${created.id}/output`, { token: alice.token });
    expect([none.status, none.json.error.code]).toEqual([404, 'no_output']);
    for (const [i, id] of (created.executions as string[]).entries()) {
      await api.runtime.db('executions').where({ id }).update({ state: 'succeeded', mlflow_experiment_id: '9', mlflow_run_id: `run-${i}` });
      await s3.send(new PutObjectCommand({ Bucket: api.buckets.mlflow, Key: `9/run-${i}/artifacts/output/model.txt`, Body: `model ${i}` }));
    }
    expect(await tarNames(`/api/v1/sweeps/${created.id}/output`)).toEqual(created.executions.map((id: string) => `${id}/model.txt`).sort());
  });

  it('answers 404 for unknown sweeps', async () => {
    const unknown = '4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f';
    for (const [method, path] of [
      ['GET', `/api/v1/sweeps/${unknown}`],
      ['POST', `/api/v1/sweeps/${unknown}/stop`],
      ['GET', `/api/v1/sweeps/${unknown}/output`],
    ] as const) {
      expect([path, (await api.call(method, path, { token: alice.token })).status]).toEqual([path, 404]);
    }
  });
});

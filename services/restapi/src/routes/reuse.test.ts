import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { artifactPaths, bullPrefix, runArtifactPrefix } from '@plz/contracts';
import { ExecutionStore, type ExecutionEnd } from '@plz/lifecycle';
import { s3Client, testServices } from '@plz/testkit';
import tar from 'tar-stream';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

// Results reused (issue 17 item 5): `reuse: true` takes the results of an earlier succeeded
// execution of the same user with the same reuse key, without queueing anything.

let api: TestApi;
let store: ExecutionStore;
let snapshot: string;
let otherSnapshot: string;
let input: string;
let otherInput: string;
let alice: { token: string; identity: { id: string } };
let bob: { token: string; identity: { id: string } };
let bullConnection: Redis;
const queues = new Map<string, Queue>();
const s3 = s3Client(testServices().s3);

/** The BullMQ queue as a worker sees it. */
function queue(name: string): Queue {
  bullConnection ??= new Redis(api.redisUrl, { maxRetriesPerRequest: null });
  if (!queues.has(name)) queues.set(name, new Queue(name, { connection: bullConnection, prefix: bullPrefix }));
  return queues.get(name)!;
}

beforeAll(async () => {
  api = await startTestApi();
  store = new ExecutionStore(api.runtime.db);
  [snapshot, otherSnapshot, input, otherInput] = await Promise.all([
    storeBlob(api, 'snapshots'),
    storeBlob(api, 'snapshots'),
    storeBlob(api, 'inputs'),
    storeBlob(api, 'inputs'),
  ]);
  alice = await api.user('alice');
  bob = await api.user('bob');
}, 30_000);
afterAll(async () => {
  for (const q of queues.values()) await q.close();
  bullConnection?.disconnect();
  s3.destroy();
  await api?.close();
});

async function submit(token: string, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const answer = await api.call('POST', '/api/v1/executions', { token, json: spec(snapshot, overrides) });
  if (answer.status !== 201) throw new Error(`submit failed: ${answer.status} ${answer.text}`);
  return answer.json;
}

/**
 * Runs an execution through the lifecycle as a worker does (claim, MLflow run, running,
 * harvesting, end), storing an output file and the log under its run's artifacts.
 */
async function runAsWorker(id: string, end: Partial<ExecutionEnd> = {}): Promise<{ run: string; output: string }> {
  const run = randomUUID().replaceAll('-', '');
  const output = `result ${randomBytes(4).toString('hex')}\n`;
  expect(await store.claim(id, 'worker-1', [])).toBeDefined();
  await store.recordRun(id, '7', run);
  expect(await store.markRunning(id, 'worker-1', new Date())).toBe(true);
  expect(await store.markHarvesting(id, 'worker-1')).toBe(true);
  const prefix = runArtifactPrefix('7', run);
  await s3.send(new PutObjectCommand({ Bucket: api.buckets.mlflow, Key: `${prefix}${artifactPaths.output}/result.txt`, Body: output }));
  await s3.send(new PutObjectCommand({ Bucket: api.buckets.mlflow, Key: `${prefix}${artifactPaths.log}`, Body: `log of ${id}\n` }));
  const ended = await store.finish(id, { state: 'succeeded', exitCode: 0, error: null, measures: { epoch_1: { loss: 0.5 } }, summary: { accuracy: 0.9 }, ...end }, 'worker-1');
  expect(ended).toBe(true);
  return { run, output };
}

async function untar(bytes: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        files[header.name] = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([bytes]).pipe(extract);
  await done;
  return files;
}

async function outputOf(id: string, token: string): Promise<Record<string, string>> {
  const response = await fetch(`${api.url}/api/v1/executions/${id}/output`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return untar(Buffer.from(await response.arrayBuffer()));
}

async function usage(): Promise<{ seconds: number; executions: number }> {
  const row = (await api.runtime.db('queue_usage').sum({ seconds: 'seconds', executions: 'executions' }).first()) as { seconds: string | null; executions: string | null };
  return { seconds: Number(row.seconds ?? 0), executions: Number(row.executions ?? 0) };
}

/** A web view page as a browser logged in as `user` gets it. */
async function webPage(path: string, user: string, token: string): Promise<{ status: number; html: string }> {
  const login = await fetch(`${api.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: api.url },
    body: new URLSearchParams({ user, token, next: '/' }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await fetch(`${api.url}${path}`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
  return { status: page.status, html: await page.text() };
}

/** A queued execution that reused nothing, with its BullMQ job. */
async function expectQueued(execution: Record<string, unknown>): Promise<void> {
  expect([execution['state'], execution['reused_from']]).toEqual(['queued', null]);
  expect(await queue(String(execution['queue'])).getJob(String(execution['id']))).toBeDefined();
}

describe('reuse: true', () => {
  const parameters = { lr: 0.1, layers: [2, 3], nested: { b: 1, a: 2 } };
  const base = { input: { kind: 'input', sha256: input }, parameters, resources: { gpus: 0, memory: '2g' }, max_run_seconds: 600 };
  let earlier: { id: string; run: string; output: string };

  beforeAll(async () => {
    // `input` is read once beforeAll ran: build the spec here.
    base.input = { kind: 'input', sha256: input };
    const first = await submit(alice.token, base);
    expect(first).toMatchObject({ state: 'queued', reused_from: null });
    earlier = { id: first['id'], ...(await runAsWorker(first['id'])) };
  });

  it("hits: a new execution, succeeded at once, naming the earlier one, with its output, measures, summary and log; nothing queued, no worker time charged", async () => {
    const usageBefore = await usage();
    expect(usageBefore.executions).toBeGreaterThanOrEqual(1); // the earlier one's, charged by the trigger
    // Same everything, parameters' keys in another order, the memory in bytes: the same key.
    const reused = await submit(alice.token, {
      ...base,
      parameters: { nested: { a: 2, b: 1 }, layers: [2, 3], lr: 0.1 },
      resources: { gpus: 0, memory: 2 * 1024 ** 3 },
      name: 'again',
      tags: ['t'],
      project: 'elsewhere',
      queue_without_worker: false, // no worker is alive: a hit needs none
      reuse: true,
    });
    expect(reused['id']).not.toBe(earlier.id);
    expect(reused).toMatchObject({ state: 'succeeded', reused_from: earlier.id, exit_code: 0, measures: { epoch_1: { loss: 0.5 } }, summary: { accuracy: 0.9 }, name: 'again', project: 'elsewhere', user: 'alice', worker_id: null, started_at: null, priority: 'normal' });
    expect(reused['finished_at']).not.toBeNull();
    const described = await api.call('GET', `/api/v1/executions/${reused['id']}`, { token: bob.token });
    expect(described.json).toMatchObject({ id: reused['id'], reused_from: earlier.id, state: 'succeeded' });
    expect((await api.call('GET', `/api/v1/executions/${reused['id']}/measures`, { token: alice.token })).json).toMatchObject({ measures: { epoch_1: { loss: 0.5 } }, summary: { accuracy: 0.9 } });
    expect(await outputOf(reused['id'], alice.token)).toEqual({ 'result.txt': earlier.output });
    expect((await api.call('GET', `/api/v1/executions/${reused['id']}/logs`, { token: alice.token })).text).toBe(`log of ${earlier.id}\n`);
    const status = await api.call('GET', `/api/v1/executions/${reused['id']}/status?position=true`, { token: alice.token });
    expect(status.json).toMatchObject({ state: 'succeeded', queue_position: null, exit_code: 0 });
    // Never queued: no BullMQ job, not among the waiting rows, no worker time charged.
    expect(await queue('cpu').getJob(reused['id'])).toBeUndefined();
    expect(await api.runtime.db('executions').where({ state: 'queued', id: reused['id'] }).first()).toBeUndefined();
    expect(await usage()).toEqual(usageBefore);
    // Terminal like any succeeded execution: no worker can claim it, nothing can end it again.
    expect(await store.claim(reused['id'], 'worker-1', [])).toBeUndefined();
    expect(await store.endQueued(reused['id'], 'stopped')).toBe(false);
    expect(await store.finish(reused['id'], { state: 'error', exitCode: null, error: 'x', measures: null, summary: null })).toBe(false);
    const stop = await api.call('POST', `/api/v1/executions/${reused['id']}/stop`, { token: alice.token });
    expect([stop.status, stop.json.error.code]).toEqual([409, 'not_stoppable']);
    expect(await usage()).toEqual(usageBefore);
    const history = await api.call('GET', '/api/v1/history?project=elsewhere', { token: alice.token });
    expect(history.json[reused['id']]).toMatchObject({ metadata: { reused_from: earlier.id, state: 'succeeded' }, summary: { accuracy: 0.9 } });
    const web = await webPage(`/executions/${reused['id']}`, 'alice', alice.token);
    expect(web.status).toBe(200);
    expect(web.html).toContain('Reused from');
    expect(web.html).toContain(`<a href="/executions/${earlier.id}">${earlier.id}</a>`);
    expect((await webPage('/executions?project=elsewhere', 'alice', alice.token)).html).toContain(`<a href="/executions/${earlier.id}">reused</a>`);
    // Reusing again names the execution that ran, not the one that reused it.
    expect((await submit(alice.token, { ...base, reuse: true }))['reused_from']).toBe(earlier.id);
  });

  it('is off by default: the same submission without reuse is queued', async () => {
    await expectQueued(await submit(alice.token, base));
    await expectQueued(await submit(alice.token, { ...base, reuse: false }));
  });

  it('misses when the parameters, input, snapshot, resources or time limit differ, and queues it', async () => {
    const misses: Array<[string, Record<string, unknown>]> = [
      ['a parameter value', { ...base, parameters: { ...parameters, lr: 0.2 } }],
      ['one parameter more', { ...base, parameters: { ...parameters, seed: 1 } }],
      ['no parameters', { ...base, parameters: {} }],
      ['another input', { ...base, input: { kind: 'input', sha256: otherInput } }],
      ['no input', { ...base, input: null }],
      ['another snapshot', { ...base, snapshot: otherSnapshot }],
      ['more memory', { ...base, resources: { gpus: 0, memory: '4g' } }],
      ['a CPU limit', { ...base, resources: { gpus: 0, memory: '2g', cpus: 1 } }],
      ['a GPU (another queue)', { ...base, resources: { gpus: 1, memory: '2g' } }],
      ['another time limit', { ...base, max_run_seconds: 601 }],
    ];
    for (const [what, change] of misses) {
      const execution = await submit(alice.token, { ...change, reuse: true });
      expect([what, execution['state'], execution['reused_from']]).toEqual([what, 'queued', null]);
      expect(await queue(execution['queue']).getJob(execution['id'])).toBeDefined();
    }
  });

  it('a miss still needs a live worker', async () => {
    const refused = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { ...base, parameters: { lr: 0.7 }, queue_without_worker: false, reuse: true }) });
    expect([refused.status, refused.json.error.code]).toEqual([409, 'no_worker']);
  });

  it('never reuses an execution that failed, was stopped or ended in error', async () => {
    for (const [lr, end] of [
      [0.31, { state: 'failed', exitCode: 3 }],
      [0.32, { state: 'error', exitCode: null, error: 'worker gone' }],
      [0.33, { state: 'stopped', exitCode: null }],
    ] as const) {
      const first = await submit(alice.token, { ...base, parameters: { lr } });
      await runAsWorker(first['id'], end);
      await expectQueued(await submit(alice.token, { ...base, parameters: { lr }, reuse: true }));
    }
    // Nor one still queued or running.
    const running = await submit(alice.token, { ...base, parameters: { lr: 0.34 } });
    await store.claim(running['id'], 'worker-1', []);
    await expectQueued(await submit(alice.token, { ...base, parameters: { lr: 0.34 }, reuse: true }));
  });

  it("never reuses another user's execution (attack: bob submits alice's exact execution with reuse)", async () => {
    const stolen = await submit(bob.token, { ...base, reuse: true });
    await expectQueued(stolen);
    // Bob's own succeeded execution, newer than alice's, is never given to alice either.
    await runAsWorker(stolen['id']);
    expect((await submit(alice.token, { ...base, reuse: true }))['reused_from']).toBe(earlier.id);
    // ...and bob now reuses his own.
    expect((await submit(bob.token, { ...base, reuse: true }))['reused_from']).toBe(stolen['id']);
  });

  it("keys an earlier execution's output by where it is: naming the execution that reused it is the same input", async () => {
    const reusedEarlier = await submit(alice.token, { ...base, reuse: true });
    const consumer = await submit(alice.token, { input: { kind: 'execution_output', execution_id: earlier.id }, parameters: { step: 2 } });
    await runAsWorker(consumer['id']);
    const again = await submit(alice.token, { input: { kind: 'execution_output', execution_id: reusedEarlier['id'] }, parameters: { step: 2 }, reuse: true });
    expect(again).toMatchObject({ state: 'succeeded', reused_from: consumer['id'] });
  });

  it('is validated: a boolean, and not a field of sweeps', async () => {
    const bad = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { reuse: 'yes' }) });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'validation_failed']);
    const sweep = await api.call('POST', '/api/v1/sweeps', { token: alice.token, json: spec(snapshot, { parameters: [{ lr: 1 }], reuse: true }) });
    expect(sweep.status).toBe(400);
    expect(sweep.text).toContain('reuse');
  });

  it('finds the match by one probe of the partial index executions_reusable, at 10,000 executions', async () => {
    await api.runtime.db.raw(
      `INSERT INTO executions (id, project, user_id, state, queue, snapshot, reuse_key, finished_at)
       SELECT gen_random_uuid(), 'bulk', CASE WHEN n % 2 = 0 THEN ?::uuid ELSE ?::uuid END, 'succeeded', 'cpu', ?, md5(n::text), now()
       FROM generate_series(1, 10000) AS n`,
      [alice.identity.id, bob.identity.id, snapshot],
    );
    await api.runtime.db.raw('ANALYZE executions');
    const query = store.reusableQuery('0'.repeat(64), alice.identity.id).toSQL();
    const { rows } = await api.runtime.db.raw<{ rows: Array<{ 'QUERY PLAN': unknown }> }>(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.bindings);
    const plan = JSON.stringify(rows[0]!['QUERY PLAN']);
    expect(plan).toContain('"Index Name":"executions_reusable"');
    expect(plan).not.toContain('Seq Scan');
    expect(plan).not.toContain('"Node Type":"Sort"');
  });
});

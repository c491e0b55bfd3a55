import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, JobPayload, JobSpec, logStreamKey, stopChannel, stopKey } from '@plz/contracts';
import { ExecutionStore } from '@plz/lifecycle';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

let api: TestApi;
let snapshot: string;
let alice: { token: string };
let bob: { token: string };
const queues = new Map<string, Queue>();
let bullConnection: Redis;

/** The BullMQ queue as a worker sees it. */
function queue(name: string): Queue {
  bullConnection ??= new Redis(api.redisUrl, { maxRetriesPerRequest: null });
  if (!queues.has(name)) queues.set(name, new Queue(name, { connection: bullConnection, prefix: bullPrefix }));
  return queues.get(name)!;
}

beforeAll(async () => {
  api = await startTestApi();
  snapshot = await storeBlob(api, 'snapshots');
  alice = await api.user('alice');
  bob = await api.user('bob');
}, 30_000);
afterAll(async () => {
  for (const q of queues.values()) await q.close();
  bullConnection?.disconnect();
  await api?.close();
});

async function submit(token: string, overrides: Record<string, unknown> = {}) {
  const answer = await api.call('POST', '/api/v1/executions', { token, json: spec(snapshot, overrides) });
  if (answer.status !== 201) throw new Error(`submit failed: ${answer.status} ${answer.text}`);
  return answer.json;
}

/** Moves an execution along as a worker does: a direct UPDATE of its row. */
async function workerSets(id: string, fields: Record<string, unknown>): Promise<void> {
  await api.runtime.db('executions').where({ id }).update({ ...fields, updated_at: api.runtime.db.fn.now() });
}

describe('POST /api/v1/executions', () => {
  it('refuses a request no live worker serves, naming the queue, unless asked to queue anyway', async () => {
    const refused = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { queue_without_worker: false, resources: { gpus: 2 } }) });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('no_worker');
    expect(refused.json.error.message).toContain('"gpu-x2"');
    expect(refused.json.error.details).toEqual({ queue: 'gpu-x2', live_queues: [] });
    expect(await api.runtime.db('executions').count({ n: '*' }).first()).toEqual({ n: '0' });
    await writeHeartbeat(api.redis, { worker_id: 'gpu-0', queue: 'gpu', gpus: ['0'] });
    const stillRefused = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { queue_without_worker: false, resources: { gpus: 2 } }) });
    expect(stillRefused.json.error.message).toContain('live workers serve: gpu.');
    const queued = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { resources: { gpus: 2 } }) });
    expect([queued.status, queued.json.queue, queued.json.state]).toEqual([201, 'gpu-x2', 'queued']);
  });

  it('refuses at submit a request over the limits of every live worker of its queue, naming the limit; one worker that accepts is enough', async () => {
    const limits = {
      memory_default: 1024 ** 3,
      memory_max: 4 * 1024 ** 3,
      cpus_default: 1,
      cpus_max: 2,
      shm_size_default: 64 * 1024 ** 2,
      pids_limit: 4096,
      max_run_seconds_default: 3600,
      max_run_seconds_max: 86_400,
    };
    await writeHeartbeat(api.redis, { worker_id: 'small-0', queue: 'gpu-x4', limits });
    const before = await api.runtime.db('executions').count({ n: '*' }).first();
    const over = await api.call('POST', '/api/v1/executions', {
      token: alice.token,
      json: spec(snapshot, { resources: { gpus: 4, memory: '8g', cpus: 3 }, max_run_seconds: 100_000 }),
    });
    expect([over.status, over.json.error.code]).toEqual([422, 'over_limit']);
    expect(over.json.error.message).toContain('memory 8 GiB is more than the maximum, 4 GiB (JOB_MEMORY_MAX)');
    expect(over.json.error.message).toContain('3 CPUs is more than the maximum, 2 (JOB_CPUS_MAX)');
    expect(over.json.error.message).toContain('max_run_seconds 100000 is more than the maximum, 86400 s (JOB_MAX_RUN_SECONDS_MAX)');
    const shm = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { resources: { gpus: 4, shm_size: '2g' } }) });
    expect(shm.json.error.message).toContain("shm_size 2 GiB is more than the job's memory, 1 GiB");
    expect(await api.runtime.db('executions').count({ n: '*' }).first()).toEqual(before);
    // Within the limits: accepted; over them but another live worker of the queue takes more: accepted.
    expect((await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { resources: { gpus: 4, memory: '4g' } }) })).status).toBe(201);
    await writeHeartbeat(api.redis, { worker_id: 'big-0', queue: 'gpu-x4', limits: { ...limits, memory_max: 16 * 1024 ** 3 } });
    expect((await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { resources: { gpus: 4, memory: '8g' } }) })).status).toBe(201);
  });

  it('records the execution, enqueues its job under the execution id and answers with the record', async () => {
    await writeHeartbeat(api.redis, { worker_id: 'cpu-0', queue: 'cpu' });
    const answer = await api.call('POST', '/api/v1/executions', {
      token: alice.token,
      json: spec(snapshot, { queue_without_worker: false, name: 'first', tags: ['a'], resources: { memory: '2g' }, max_run_seconds: 60 }),
    });
    expect(answer.status).toBe(201);
    const execution = answer.json;
    expect(answer.headers.get('location')).toBe(`/api/v1/executions/${execution.id}`);
    expect(execution).toMatchObject({ project: 'demo', name: 'first', tags: ['a'], user: 'alice', state: 'queued', queue: 'cpu', snapshot, input: null, parameters: { lr: 0.1 } });
    expect(execution.resources).toEqual({ gpus: 0, memory: 2 * 1024 ** 3 });
    const job = await queue('cpu').getJob(execution.id);
    expect(job?.name).toBe('execution');
    // The job carries the id; the worker runs what the row holds.
    expect(job?.data).toEqual({ execution_id: execution.id });
    expect(JobPayload.parse(job?.data)).toEqual({ execution_id: execution.id });
    expect(job?.opts.attempts).toBeGreaterThan(1);
    const row = await new ExecutionStore(api.runtime.db).get(execution.id);
    expect(JobSpec.parse({ ...row, execution_id: row!.id })).toEqual({
      execution_id: execution.id,
      project: 'demo',
      user: 'alice',
      snapshot,
      input: null,
      parameters: { lr: 0.1 },
      resources: { gpus: 0, memory: 2 * 1024 ** 3 },
      max_run_seconds: 60,
    });
  });

  it('refuses a missing snapshot or input with 422 and records nothing', async () => {
    const before = await api.runtime.db('executions').count({ n: '*' }).first();
    const noSnapshot = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec('f'.repeat(64)) });
    expect([noSnapshot.status, noSnapshot.json.error.code]).toEqual([422, 'snapshot_missing']);
    const noInput = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { input: { kind: 'input', sha256: 'e'.repeat(64) } }) });
    expect([noInput.status, noInput.json.error.code]).toEqual([422, 'input_missing']);
    expect(await api.runtime.db('executions').count({ n: '*' }).first()).toEqual(before);
  });

  it('takes a stored input, or the output of an ended execution by its MLflow run', async () => {
    const input = await storeBlob(api, 'inputs');
    const withInput = await submit(alice.token, { input: { kind: 'input', sha256: input } });
    expect(withInput.input).toEqual({ kind: 'input', sha256: input });

    const source = await submit(alice.token);
    const early = await api.call('POST', '/api/v1/executions', { token: alice.token, json: spec(snapshot, { input: { kind: 'execution_output', execution_id: source.id } }) });
    expect([early.status, early.json.error.code]).toEqual([422, 'input_missing']);
    expect(early.json.error.message).toContain('no stored output');
    const unknown = await api.call('POST', '/api/v1/executions', {
      token: alice.token,
      json: spec(snapshot, { input: { kind: 'execution_output', execution_id: '4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f' } }),
    });
    expect(unknown.status).toBe(422);

    await workerSets(source.id, { state: 'succeeded', mlflow_experiment_id: '7', mlflow_run_id: 'abc123', exit_code: 0 });
    const chained = await submit(alice.token, { input: { kind: 'execution_output', execution_id: source.id } });
    const expected = { kind: 'execution_output', execution_id: source.id, mlflow_experiment_id: '7', mlflow_run_id: 'abc123' };
    expect(chained.input).toEqual(expected);
    expect((await new ExecutionStore(api.runtime.db).get(chained.id))?.input).toEqual(expected);
  });

  it('refuses malformed JSON, wrong types, unknown fields and other content types with 400/415', async () => {
    const malformed = await api.call('POST', '/api/v1/executions', { token: alice.token, body: '{"project": "demo",', headers: { 'content-type': 'application/json' } });
    expect([malformed.status, malformed.json.error.code]).toEqual([400, 'invalid_json']);
    const wrongTypes = await api.call('POST', '/api/v1/executions', { token: alice.token, json: { project: 5, snapshot, resources: { gpus: 'one' } } });
    expect(wrongTypes.status).toBe(400);
    expect(wrongTypes.json.error.details.map((problem: { path: string }) => problem.path).sort()).toEqual(['body.project', 'body.resources.gpus']);
    const unknown = await api.call('POST', '/api/v1/executions', { token: alice.token, json: { ...spec(snapshot), urgency: 1, resources: { gpu: 1 } } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details).toEqual(
      expect.arrayContaining([
        { path: 'body.urgency', message: 'unknown field' },
        { path: 'body.resources.gpu', message: 'unknown field' },
      ]),
    );
    const text = await api.call('POST', '/api/v1/executions', { token: alice.token, body: 'project=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([text.status, text.json.error.code]).toEqual([415, 'unsupported_media_type']);
    const empty = await api.call('POST', '/api/v1/executions', { token: alice.token });
    expect(empty.status).toBe(400);
    expect(empty.json.error.details.map((problem: { path: string }) => problem.path)).toEqual(['body.project', 'body.snapshot']);
    const array = await api.call('POST', '/api/v1/executions', { token: alice.token, json: [1, 2] });
    expect(array.status).toBe(400);
    const scalar = await api.call('POST', '/api/v1/executions', { token: alice.token, body: '"text"', headers: { 'content-type': 'application/json' } });
    expect([scalar.status, scalar.json.error.code]).toEqual([400, 'invalid_json']);
  });
});

describe('reading executions', () => {
  it('describes and reports the status of an execution; unknown and malformed ids are 404 and 400', async () => {
    const execution = await submit(bob.token, { project: 'reading' });
    const described = await api.call('GET', `/api/v1/executions/${execution.id}`, { token: alice.token });
    expect(described.json).toEqual(execution);
    expect((await api.call('GET', `/api/v1/executions/${execution.id}/status`, { token: alice.token })).json).toMatchObject({ state: 'queued', queue_position: null });
    const status = await api.call('GET', `/api/v1/executions/${execution.id}/status?position=true`, { token: alice.token });
    expect(status.json).toEqual({
      id: execution.id,
      state: 'queued',
      queue: 'cpu',
      exit_code: null,
      error: null,
      worker_id: null,
      created_at: execution.created_at,
      started_at: null,
      finished_at: null,
      priority: 'normal',
      queue_position: { position: expect.any(Number), ahead: expect.any(Array), workers: 1, typical_seconds: 60, estimated_start_seconds: expect.any(Number) },
    });
    const missing = await api.call('GET', '/api/v1/executions/4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f', { token: alice.token });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'not_found']);
    const malformed = await api.call('GET', '/api/v1/executions/not-a-uuid/status', { token: alice.token });
    expect([malformed.status, malformed.json.error.details[0].path]).toEqual([400, 'path.id']);
    expect((await api.call('GET', `/api/v1/executions/${execution.id}`)).status).toBe(401);
  });

  it('lists with filters and pages through with a cursor, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(i % 2 ? bob.token : alice.token, { project: 'paging' })).id);
    await workerSets(ids[0]!, { state: 'running' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer: { json: { executions: Array<{ id: string }>; next_cursor: string | null } } = await api.call(
        'GET',
        `/api/v1/executions?project=paging&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: alice.token },
      );
      seen.push(...answer.json.executions.map((execution) => execution.id));
      cursor = answer.json.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const bobs = await api.call('GET', '/api/v1/executions?project=paging&user=bob', { token: alice.token });
    expect(bobs.json.executions.map((execution: { id: string }) => execution.id)).toEqual([ids[3], ids[1]]);
    const running = await api.call('GET', '/api/v1/executions?project=paging&state=running,failed', { token: alice.token });
    expect(running.json.executions.map((execution: { id: string }) => execution.id)).toEqual([ids[0]]);
    const created = (await api.call('GET', `/api/v1/executions/${ids[2]}`, { token: alice.token })).json.created_at;
    const since = await api.call('GET', `/api/v1/executions?project=paging&since=${created}`, { token: alice.token });
    expect(since.json.executions.map((execution: { id: string }) => execution.id)).toEqual([ids[4], ids[3], ids[2]]);
    const until = await api.call('GET', `/api/v1/executions?project=paging&until=${created}`, { token: alice.token });
    expect(until.json.executions.map((execution: { id: string }) => execution.id)).toEqual([ids[1], ids[0]]);
  });

  it('refuses bad filters, cursors and unknown query parameters with 400', async () => {
    for (const query of ['state=sleeping', 'limit=0', 'limit=many', 'since=yesterday', 'cursor=nonsense', 'colour=blue', 'project=a&project=b']) {
      const answer = await api.call('GET', `/api/v1/executions?${query}`, { token: alice.token });
      expect([query, answer.status]).toEqual([query, 400]);
    }
  });
});

describe('stopping', () => {
  it('removes a queued execution from its queue, marks it stopped and ends its log stream', async () => {
    const execution = await submit(alice.token);
    expect(await queue('cpu').getJob(execution.id)).toBeTruthy();
    const stopped = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: alice.token });
    expect([stopped.status, stopped.json]).toEqual([200, { id: execution.id, outcome: 'stopped', state: 'stopped' }]);
    expect(await queue('cpu').getJob(execution.id)).toBeFalsy();
    const status = (await api.call('GET', `/api/v1/executions/${execution.id}/status`, { token: alice.token })).json;
    expect(status.state).toBe('stopped');
    expect(status.finished_at).not.toBeNull();
    const entries = await api.redis.xrange(logStreamKey(execution.id), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([['end', 'stopped']]);
    const again = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: alice.token });
    expect([again.status, again.json.error.code]).toEqual([409, 'not_stoppable']);
  });

  it("refuses another user's stop, and lets an admin stop anyone's", async () => {
    const execution = await submit(alice.token);
    const refused = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: bob.token });
    expect([refused.status, refused.json.error.code]).toEqual([403, 'forbidden']);
    expect((await api.call('GET', `/api/v1/executions/${execution.id}/status`, { token: bob.token })).json.state).toBe('queued');
    expect(await queue('cpu').getJob(execution.id)).toBeTruthy();
    const admin = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: api.admin.token });
    expect(admin.json.outcome).toBe('stopped');
  });

  it('signals a running execution to its worker through the stop key and channel', async () => {
    const execution = await submit(alice.token);
    // A worker has taken the job: it is no longer waiting in the queue.
    await queue('cpu').remove(execution.id);
    await workerSets(execution.id, { state: 'running', worker_id: 'cpu-0' });
    await writeHeartbeat(api.redis, { worker_id: 'cpu-0', queue: 'cpu', execution_id: execution.id });
    const subscriber = new Redis(api.redisUrl);
    const message = new Promise<string>((resolve) => subscriber.on('message', (_channel: string, text: string) => resolve(text)));
    await subscriber.subscribe(stopChannel);
    try {
      const answer = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: alice.token });
      expect([answer.status, answer.json]).toEqual([202, { id: execution.id, outcome: 'signalled', state: 'running' }]);
      expect(await message).toBe(execution.id);
      expect(await api.redis.exists(stopKey(execution.id))).toBe(1);
      expect(await api.redis.ttl(stopKey(execution.id))).toBeGreaterThan(23 * 3600);
    } finally {
      subscriber.disconnect();
    }
  });

  it('ends an execution whose worker is gone (no heartbeat) as stopped, with the reason, and ends its log stream', async () => {
    const execution = await submit(alice.token);
    await queue('cpu').remove(execution.id);
    await workerSets(execution.id, { state: 'running', worker_id: 'cpu-gone' });
    const answer = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: alice.token });
    expect([answer.status, answer.json]).toEqual([200, { id: execution.id, outcome: 'stopped', state: 'stopped' }]);
    const row = await api.runtime.db('executions').where({ id: execution.id }).first();
    expect([row.state, row.error, row.finished_at instanceof Date]).toEqual(['stopped', expect.stringContaining('stopped without its worker cpu-gone, which sends no heartbeat'), true]);
    const entries = await api.redis.xrange(logStreamKey(execution.id), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([['end', 'stopped']]);
    // a worker coming back later still finds the stop key (and its recovery finds the row ended)
    expect(await api.redis.exists(stopKey(execution.id))).toBe(1);
    const again = await api.call('POST', `/api/v1/executions/${execution.id}/stop`, { token: alice.token });
    expect([again.status, again.json.error.code]).toEqual([409, 'not_stoppable']);
  });

  it('answers 404 for an unknown execution', async () => {
    expect((await api.call('POST', '/api/v1/executions/4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f/stop', { token: alice.token })).status).toBe(404);
  });
});

describe('rerun', () => {
  it('runs again with the same snapshot and input, replacing parameters when given', async () => {
    const input = await storeBlob(api, 'inputs');
    const original = await submit(alice.token, { input: { kind: 'input', sha256: input }, parameters: { lr: 0.1, epochs: 3 }, tags: ['x'], name: 'orig' });
    const same = await api.call('POST', `/api/v1/executions/${original.id}/rerun`, { token: bob.token });
    expect(same.status).toBe(201);
    expect(same.json).toMatchObject({ snapshot, input: { kind: 'input', sha256: input }, parameters: { lr: 0.1, epochs: 3 }, rerun_of: original.id, user: 'bob', name: 'orig', tags: ['x'] });
    const changed = await api.call('POST', `/api/v1/executions/${original.id}/rerun`, { token: alice.token, json: { parameters: { lr: 0.5 } } });
    expect(changed.json.parameters).toEqual({ lr: 0.5 });
    expect(changed.json.id).not.toBe(original.id);
    expect((await queue('cpu').getJob(changed.json.id))?.data).toEqual({ execution_id: changed.json.id });
    expect((await new ExecutionStore(api.runtime.db).get(changed.json.id))?.parameters).toEqual({ lr: 0.5 });
  });

  it('refuses unknown executions and unknown fields', async () => {
    expect((await api.call('POST', '/api/v1/executions/4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f/rerun', { token: alice.token })).status).toBe(404);
    const execution = await submit(alice.token);
    const unknown = await api.call('POST', `/api/v1/executions/${execution.id}/rerun`, { token: alice.token, json: { params: {} } });
    expect([unknown.status, unknown.json.error.details]).toEqual([400, [{ path: 'body.params', message: 'unknown field' }]]);
  });
});

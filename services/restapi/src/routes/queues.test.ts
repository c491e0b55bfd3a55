import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Dispatcher, defaultFairShare } from '@plz/lifecycle';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

/**
 * Priorities, the allowance of `high`, and the queue views, on real PostgreSQL and Redis; the
 * executions are taken by the lifecycle's Dispatcher, as a worker takes them.
 */
describe('fair sharing through the REST API', () => {
  let api: TestApi;
  let snapshot: string;
  let alice: { token: string };
  let bob: { token: string };
  let carol: { token: string };
  const settings = { ...defaultFairShare, high_priority_allowance: 2, max_running_per_user: 2 };
  let dispatcher: Dispatcher;

  beforeAll(async () => {
    api = await startTestApi({ fairShare: settings });
    snapshot = await storeBlob(api, 'snapshots');
    alice = await api.user('alice');
    bob = await api.user('bob');
    carol = await api.user('carol');
    dispatcher = new Dispatcher(api.runtime.db, settings);
    await writeHeartbeat(api.redis, { worker_id: 'cpu-1', queue: 'cpu' });
    await writeHeartbeat(api.redis, { worker_id: 'cpu-2', queue: 'cpu' });
  }, 30_000);
  afterAll(async () => {
    await api?.close();
  });

  const submit = async (token: string, overrides: Record<string, unknown> = {}) => api.call('POST', '/api/v1/executions', { token, json: spec(snapshot, overrides) });
  const queued = async (token: string, overrides: Record<string, unknown> = {}): Promise<string> => {
    const answer = await submit(token, overrides);
    if (answer.status !== 201) throw new Error(`submit failed: ${answer.status} ${answer.text}`);
    return answer.json.id as string;
  };
  const status = async (id: string) => (await api.call('GET', `/api/v1/executions/${id}/status?position=true`, { token: alice.token })).json;
  const drain = async (queue: string) => {
    for (let taken = await dispatcher.claimNext(queue, 'drain', []); taken; taken = await dispatcher.claimNext(queue, 'drain', [])) {
      await api.runtime.db('executions').where({ id: taken.id }).update({ state: 'stopped', finished_at: api.runtime.db.fn.now() });
    }
  };

  it('refuses `high` beyond a user\'s allowance with a clear message; an admin has none; a sweep counts whole', async () => {
    expect((await submit(alice.token, { priority: 'high', project: 'allow' })).status).toBe(201);
    const sweep = await api.call('POST', '/api/v1/sweeps', { token: alice.token, json: { ...spec(snapshot, { priority: 'high', project: 'allow' }), parameters: { lr: [0.1, 0.2] } } });
    expect(sweep.status).toBe(403);
    expect(sweep.json.error).toMatchObject({ code: 'priority_not_allowed', details: { allowance: 2, used: 1, requested: 2 } });
    expect(sweep.json.error.message).toMatch(/^priority high is over your allowance: 2 high-priority executions per 24 h, you have submitted 1 in that time and ask for 2 more/);
    expect((await submit(alice.token, { priority: 'high', project: 'allow' })).status).toBe(201);
    const third = await submit(alice.token, { priority: 'high', project: 'allow' });
    expect([third.status, third.json.error.code]).toEqual([403, 'priority_not_allowed']);
    expect(await api.runtime.db('executions').where({ project: 'allow' }).count({ n: '*' }).first()).toEqual({ n: '2' });
    expect((await submit(api.admin.token, { priority: 'high', project: 'allow' })).status).toBe(201);
    expect((await submit(alice.token, { priority: 'low', project: 'allow' })).status).toBe(201);
    // an admin gives a user an allowance of their own
    expect((await api.call('PATCH', '/api/v1/users/alice', { token: api.admin.token, json: { high_priority_allowance: 3 } })).status).toBe(200);
    expect((await submit(alice.token, { priority: 'high', project: 'allow' })).status).toBe(201);
    await drain('cpu');
  });

  it('lets an admin move a queued execution ahead, its owner move it back, nobody else; not once taken', async () => {
    const first = await queued(bob.token);
    const second = await queued(carol.token);
    expect(await status(second)).toMatchObject({ priority: 'normal', queue_position: { position: 2, ahead: [{ user: 'bob', executions: 1 }] } });
    const raised = await api.call('PUT', `/api/v1/executions/${second}/priority`, { token: api.admin.token, json: { priority: 'high' } });
    expect([raised.status, raised.json.priority]).toEqual([200, 'high']);
    expect(await status(second)).toMatchObject({ queue_position: { position: 1, ahead: [] } });
    const stranger = await api.call('PUT', `/api/v1/executions/${second}/priority`, { token: bob.token, json: { priority: 'low' } });
    expect([stranger.status, stranger.json.error.code]).toEqual([403, 'forbidden']);
    const selfRaise = await api.call('PUT', `/api/v1/executions/${first}/priority`, { token: bob.token, json: { priority: 'high' } });
    expect([selfRaise.status, selfRaise.json.priority]).toEqual([200, 'high']); // within bob's allowance
    const lowered = await api.call('PUT', `/api/v1/executions/${second}/priority`, { token: carol.token, json: { priority: 'low' } });
    expect(lowered.status).toBe(200);
    const bad = await api.call('PUT', `/api/v1/executions/${second}/priority`, { token: carol.token, json: { priority: 'urgent' } });
    expect([bad.status, bad.json.error.details[0].path]).toEqual([400, 'body.priority']);
    const taken = await dispatcher.claimNext('cpu', 'cpu-1', []);
    expect(taken?.id).toBe(first);
    const late = await api.call('PUT', `/api/v1/executions/${first}/priority`, { token: api.admin.token, json: { priority: 'low' } });
    expect([late.status, late.json.error.code]).toEqual([409, 'not_queued']);
    expect(await status(first)).toMatchObject({ state: 'preparing', queue_position: null });
    await drain('cpu');
    await api.runtime.db('executions').where({ id: first }).update({ state: 'stopped' });
  });

  it('reports positions that the dispatcher then follows, and each user\'s share of the queue', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) ids.push(await queued(alice.token, { project: 'order' }));
    for (let index = 0; index < 2; index += 1) ids.push(await queued(bob.token, { project: 'order' }));
    ids.push(await queued(carol.token, { project: 'order', priority: 'low' }));
    const positions = new Map<string, number>();
    for (const id of ids) positions.set(id, (await status(id)).queue_position.position);
    expect([...positions.values()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const view = await api.call('GET', '/api/v1/queues', { token: bob.token });
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ window_seconds: 86_400, quantum_seconds: 60, max_running_per_user: 2, high_priority_allowance: 2 });
    expect(view.json.queues.cpu).toMatchObject({ gpus_per_worker: 0, workers: 2, waiting: 7, running: 0 });
    const users = view.json.queues.cpu.users as Array<{ user: string; next_position: number; usage_seconds: number }>;
    expect(users.map((user) => user.next_position)).toEqual([1, expect.any(Number), 7]);
    expect(users.find((user) => user.user === 'alice')).toMatchObject({ waiting: { high: 0, normal: 4, low: 0 }, running: 0 });
    expect(users[2]).toMatchObject({ user: 'carol', waiting: { high: 0, normal: 0, low: 1 } });
    // alice's executions of the first test ran (at least a quantum each), carol's once
    expect(users.find((user) => user.user === 'alice')!.usage_seconds).toBeGreaterThanOrEqual(4 * 60);

    // two workers take at once, then one at a time as each ends: the order the positions gave
    const started: string[] = [];
    const held: string[] = [];
    for (let step = 0; step < 7; step += 1) {
      if (held.length === 2) await api.runtime.db('executions').where({ id: held.shift() }).update({ state: 'stopped', finished_at: api.runtime.db.fn.now() });
      const taken = await dispatcher.claimNext('cpu', `cpu-${(step % 2) + 1}`, []);
      started.push(taken!.id);
      held.push(taken!.id);
    }
    expect(started).toEqual([...positions].sort((a, b) => a[1] - b[1]).map(([id]) => id));
    expect((await api.call('GET', '/api/v1/queues')).status).toBe(401);
  });
});

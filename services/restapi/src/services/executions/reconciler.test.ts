import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workersLastSeenKey } from '@plz/contracts';
import { ExecutionStore, LogStream } from '@plz/lifecycle';
import { JobQueues } from '../../adapters/job-queues.js';
import { createLogger } from '../../logger.js';
import { startTestApi, writeHeartbeat, type TestApi } from '../../testing/harness.js';
import { Reconciler, reconcilerLockKey, type ReconcilerSettings } from './reconciler.js';

/** Real PostgreSQL and Redis (BullMQ): the faults are made by writing the states a crash leaves. */
describe('the reconciler', () => {
  let api: TestApi;
  let store: ExecutionStore;
  let queues: JobQueues;
  const settings: ReconcilerSettings = { intervalSeconds: 30, queuedGraceSeconds: 60, preparingLostSeconds: 60, workerLostSeconds: 600 };
  let reconciler: Reconciler;

  beforeAll(async () => {
    api = await startTestApi();
    store = new ExecutionStore(api.runtime.db);
    queues = new JobQueues(api.redis);
    reconciler = new Reconciler(store, queues, api.redis, createLogger('silent'), settings);
  }, 30_000);
  afterAll(async () => {
    await queues.close();
    await api?.close();
  });

  /** A pass as if `seconds` had gone by, the lock of earlier passes gone. */
  const passIn = async (seconds: number) => {
    await api.redis.del(reconcilerLockKey);
    return reconciler.pass(new Date(Date.now() + seconds * 1000));
  };
  const insert = async (): Promise<string> => {
    const id = randomUUID();
    await store.insert([
      { id, project: 'p', name: null, tags: [], user_id: api.admin.identity.id, queue: 'cpu', snapshot: 'b'.repeat(64), input: null, parameters: {}, resources: { gpus: 0 }, max_run_seconds: null, sweep_id: null, rerun_of: null },
    ]);
    return id;
  };
  const pending = () => queues.pending('cpu');

  it('adds jobs while a queue has fewer than its queued executions (the REST API died between insert and enqueue, Redis lost them)', async () => {
    const ids = [await insert(), await insert(), await insert()];
    expect(await pending()).toBe(0);
    expect((await passIn(0)).woken).toEqual({}); // too young: their submission may still be enqueuing them
    expect((await passIn(120)).woken).toEqual({ cpu: 3 });
    expect(await pending()).toBe(3);
    expect((await passIn(120)).woken).toEqual({}); // as many jobs as queued executions now
    // a stopped execution's job goes with it; the others keep theirs
    await queues.enqueue('cpu', [ids[0]!]);
    expect(await store.endQueued(ids[0]!, 'stopped')).toBe(true);
    expect(await queues.removeWaiting('cpu', ids[0]!)).toBe('removed');
    expect((await passIn(120)).woken).toEqual({});
  });

  it('counts an execution in backoff once its backoff is over (its delayed job lost)', async () => {
    const id = randomUUID();
    await store.insert([
      { id, project: 'p', name: null, tags: [], user_id: api.admin.identity.id, queue: 'backoff', snapshot: 'b'.repeat(64), input: null, parameters: {}, resources: { gpus: 0 }, max_run_seconds: null, sweep_id: null, rerun_of: null },
    ]);
    await api.runtime.db('executions').where({ id }).update({ not_before: api.runtime.db.raw("now() + interval '1 hour'") });
    expect((await passIn(120)).woken).toEqual({}); // in backoff: its own delayed job wakes a worker
    await api.runtime.db('executions').where({ id }).update({ not_before: api.runtime.db.raw("now() - interval '1 second'") });
    expect((await passIn(120)).woken).toEqual({ backoff: 1 });
    expect(await queues.waiting('backoff')).toBe(1);
  });

  it('puts back in the queue a preparing execution whose worker is gone, and ends a running one after the timeout', async () => {
    const preparing = await insert();
    const running = await insert();
    const fresh = await insert();
    const alive = await insert();
    await store.claim(preparing, 'gone-a', []);
    await store.claim(running, 'gone-a', []);
    await store.markRunning(running, 'gone-a', new Date());
    await store.claim(fresh, 'gone-b', []);
    await store.markRunning(fresh, 'gone-b', new Date());
    await store.claim(alive, 'alive', []);
    await store.markRunning(alive, 'alive', new Date());
    await writeHeartbeat(api.redis, { worker_id: 'alive', queue: 'cpu', execution_id: alive });
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    await api.redis.hset(workersLastSeenKey, 'gone-a', longAgo, 'gone-b', new Date().toISOString());

    const before = await pending();
    const report = await passIn(0);
    expect(report.released).toEqual([preparing]);
    expect(report.ended).toEqual([running]);
    expect(await store.get(preparing)).toMatchObject({ state: 'queued', worker_id: null });
    expect(await pending()).toBe(before + 1); // a job wakes a worker for it
    const ended = await store.get(running);
    expect(ended).toMatchObject({ state: 'error' });
    expect(ended!.error).toMatch(/^the worker gone-a sent no heartbeat for \d+ s \(more than 600 s\) while the execution was running/);
    const log = new LogStream(api.redis);
    expect((await log.range(running, '-', 10)).map((entry) => entry.fields)).toEqual([{ end: 'error' }]);
    expect(await log.ttl(running)).toBeGreaterThan(0);
    // gone-b left a moment ago: it may come back and resume its job; the live worker's job is untouched
    expect(await store.get(fresh)).toMatchObject({ state: 'running', worker_id: 'gone-b' });
    expect(await store.get(alive)).toMatchObject({ state: 'running', worker_id: 'alive' });
    // once gone-b stays away past the timeout, its job ends too
    expect((await passIn(700)).ended).toEqual([fresh]);
  });

  it('runs one pass per interval across replicas (the Redis lock)', async () => {
    const other = new Reconciler(store, queues, api.redis, createLogger('silent'), settings);
    const id = await insert();
    await insert();
    await insert();
    await api.redis.del(reconcilerLockKey);
    const later = new Date(Date.now() + 120_000);
    const queued = (await store.queuedByQueue()).find((row) => row.queue === 'cpu')!.queued;
    const jobs = await pending();
    const [a, b] = await Promise.all([reconciler.pass(later), other.pass(later)]);
    expect(queued - jobs).toBeGreaterThan(0);
    expect((a.woken['cpu'] ?? 0) + (b.woken['cpu'] ?? 0)).toBe(queued - jobs);
    expect(await pending()).toBe(queued);
    expect(await store.get(id)).toMatchObject({ state: 'queued' });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import knex, { type Knex } from 'knex';
import { createDatabase, testServices } from '@plz/testkit';
import { errorEnd } from '../row.js';
import { runMigrations } from './migrate.js';
import { ExecutionStore } from './store.js';

describe('ExecutionStore on PostgreSQL', () => {
  let db: Knex;
  let store: ExecutionStore;
  let userId: string;

  beforeAll(async () => {
    db = knex({ client: 'pg', connection: await createDatabase(testServices().postgresUrl, 'lifecycle_store'), pool: { min: 0, max: 4 } });
    await runMigrations(db);
    userId = ((await db('users').insert({ name: 'ada', role: 'user' }).returning('id')) as Array<{ id: string }>)[0]!.id;
    store = new ExecutionStore(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  const insert = async (): Promise<string> => {
    const id = randomUUID();
    const [row] = await store.insert([
      { id, project: 'p', name: null, tags: ['a'], user_id: userId, queue: 'cpu', snapshot: 'a'.repeat(64), input: null, parameters: { lr: 0.1 }, resources: { gpus: 0 }, max_run_seconds: null, sweep_id: null, rerun_of: null },
    ]);
    expect(row).toMatchObject({ id, state: 'queued', tags: ['a'], parameters: { lr: 0.1 } });
    return id;
  };

  it('claims once: the claim returns the row with its owner, a second worker gets nothing', async () => {
    const id = await insert();
    const [first, second] = await Promise.all([store.claim(id, 'w1', []), store.claim(id, 'w2', [])]);
    const winner = first ?? second;
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(winner).toMatchObject({ id, state: 'preparing', user: 'ada', snapshot: 'a'.repeat(64) });
    // the same worker again (a redelivered job), or one taking over from a dead worker
    expect(await store.claim(id, winner!.worker_id!, [])).toBeDefined();
    expect(await store.claim(id, 'w3', [], winner!.worker_id!)).toMatchObject({ worker_id: 'w3' });
  });

  it('releases a preparing row back to the queue only for the worker holding it', async () => {
    const id = await insert();
    await store.claim(id, 'w1', ['0']);
    expect(await store.release(id, 'w2')).toBe(false);
    expect(await store.release(id, 'w1')).toBe(true);
    expect(await store.get(id)).toMatchObject({ state: 'queued', worker_id: null, gpus: null });
    expect(await store.claim(id, 'w2', [])).toMatchObject({ state: 'preparing', worker_id: 'w2' });
  });

  it('records an end once, refuses succeeded before harvesting, and never leaves a terminal state', async () => {
    const id = await insert();
    await store.claim(id, 'w1', []);
    await expect(store.finish(id, { state: 'succeeded', exitCode: 0, error: null, measures: null, summary: null })).resolves.toBe(false);
    expect(await store.markRunning(id, 'w2', new Date())).toBe(false);
    expect(await store.markRunning(id, 'w1', new Date())).toBe(true);
    expect(await store.markHarvesting(id, 'w2')).toBe(false);
    expect(await store.markHarvesting(id, 'w1')).toBe(true);
    expect(await store.finish(id, { state: 'succeeded', exitCode: 0, error: null, measures: { loss: 1 }, summary: { ok: true } }, 'w2')).toBe(false);
    expect(await store.finish(id, { state: 'succeeded', exitCode: 0, error: null, measures: { loss: 1 }, summary: { ok: true } }, 'w1')).toBe(true);
    expect(await store.finish(id, errorEnd('late'))).toBe(false);
    expect(await store.endTaken(id, 'error', 'late')).toBe(false);
    expect(await store.get(id)).toMatchObject({ state: 'succeeded', exit_code: 0, measures: { loss: 1 }, summary: { ok: true }, error: null });
  });

  it('counts queued rows per queue and lists the rows workers hold, for the reconciler', async () => {
    const before = (await store.queuedByQueue()).find((row) => row.queue === 'cpu')?.queued ?? 0;
    const queued = await insert();
    const held = await insert();
    await store.claim(held, 'w9', []);
    const cpu = (await store.queuedByQueue()).find((row) => row.queue === 'cpu');
    expect(cpu).toMatchObject({ queued: before + 1 });
    expect(cpu!.oldest.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await store.taken()).find((row) => row.id === held)).toMatchObject({ state: 'preparing', worker_id: 'w9', queue: 'cpu' });
    expect(await store.endTaken(held, 'error', 'worker w9 gone', 'w1')).toBe(false);
    expect(await store.endTaken(held, 'error', 'worker w9 gone', 'w9')).toBe(true);
    expect(await store.endQueued(queued, 'stopped')).toBe(true);
    expect(await store.get(queued)).toMatchObject({ state: 'stopped' });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { FairShareSettings } from '@plz/contracts';
import knex, { type Knex } from 'knex';
import { createDatabase, testServices } from '@plz/testkit';
import { runMigrations } from './migrate.js';
import { ExecutionStore } from './store.js';
import { defaultFairShare } from '../dispatch/settings.js';
import { Dispatcher } from './dispatcher.js';
import { predictStarts } from '../dispatch/order.js';

describe('Dispatcher on PostgreSQL', () => {
  let db: Knex;
  let store: ExecutionStore;
  const users = new Map<string, string>();
  let queue: string;

  beforeAll(async () => {
    db = knex({ client: 'pg', connection: await createDatabase(testServices().postgresUrl, 'lifecycle_dispatch'), pool: { min: 0, max: 12 } });
    await runMigrations(db);
    for (const name of ['ann', 'bob', 'cat', 'dan']) users.set(name, ((await db('users').insert({ name, role: 'user' }).returning('id')) as Array<{ id: string }>)[0]!.id);
    store = new ExecutionStore(db);
  });
  afterAll(async () => {
    await db.destroy();
  });
  // every test has a queue of its own, so that use recorded by one does not steer another
  beforeEach(() => {
    queue = `q-${randomUUID().slice(0, 8)}`;
  });

  const dispatcher = (settings: Partial<FairShareSettings> = {}) => new Dispatcher(db, { ...defaultFairShare, ...settings });
  /** Queues `count` executions of `user` at `priority` (0 high, 1 normal, 2 low), in order. */
  const submit = async (user: string, count: number, priority = 1): Promise<string[]> => {
    const rows = Array.from({ length: count }, () => ({
      id: randomUUID(),
      project: 'p',
      name: null,
      tags: [],
      user_id: users.get(user)!,
      queue,
      snapshot: 'a'.repeat(64),
      input: null,
      parameters: {},
      resources: { gpus: 0 },
      max_run_seconds: null,
      sweep_id: null,
      rerun_of: null,
      priority,
    }));
    return (await store.insert(rows)).map((row) => row.id);
  };
  const ownerOf = async (id: string | undefined) => (id ? (await store.get(id))?.user : undefined);
  /** Claims `count` executions one after the other (as workers that all free up now would). */
  const claimSequence = async (d: Dispatcher, count: number): Promise<Array<string | undefined>> => {
    const owners: Array<string | undefined> = [];
    for (let index = 0; index < count; index += 1) owners.push((await d.claimNext(queue, `w${index}`, []))?.user);
    return owners;
  };
  /** Ends a held execution now: the trigger records its use. */
  const end = async (id: string) => expect(await store.endTaken(id, 'stopped', 'test')).toBe(true);

  it("serves a colleague's single execution before the rest of a sweep", async () => {
    await submit('ann', 30);
    const d = dispatcher();
    expect(await claimSequence(d, 2)).toEqual(['ann', 'ann']);
    const [bobs] = await submit('bob', 1);
    const next = await d.claimNext(queue, 'w3', []);
    expect(next).toMatchObject({ id: bobs, user: 'bob', state: 'preparing', worker_id: 'w3', attempts: 1 });
    expect(next!.claimed_at).toBeInstanceOf(Date);
  });

  it('alternates between users whose executions are shorter than the quantum, oldest submission first on a tie', async () => {
    await submit('ann', 3);
    await submit('bob', 3);
    await submit('cat', 3);
    expect(await claimSequence(dispatcher(), 9)).toEqual(['ann', 'bob', 'cat', 'ann', 'bob', 'cat', 'ann', 'bob', 'cat']);
  });

  it('counts use in the window: a user who used the queue waits for those who did not, old use is forgotten', async () => {
    const [old] = await submit('ann', 1);
    const d = dispatcher({ window_seconds: 3600, quantum_seconds: 60 });
    expect((await d.claimNext(queue, 'w', []))?.id).toBe(old);
    // ann held a worker for 10 minutes (10 quanta)
    await db('executions').where({ id: old }).update({ claimed_at: db.raw("now() - interval '10 minutes'") });
    await end(old!);
    const usage = await db('queue_usage').where({ queue, user_id: users.get('ann') }).sum('seconds as seconds').sum('executions as executions').first();
    expect(Number(usage!.seconds)).toBeGreaterThanOrEqual(600);
    expect(Number(usage!.executions)).toBe(1);
    await submit('ann', 2);
    await submit('bob', 2);
    expect(await claimSequence(d, 2)).toEqual(['bob', 'bob']);
    // the same use two hours ago is outside a one-hour window
    await db('queue_usage').where({ queue }).update({ hour: db.raw("hour - interval '2 hours'") });
    await submit('bob', 1);
    expect(await ownerOf((await d.claimNext(queue, 'w', []))?.id)).toBe('ann');
  });

  it('splits a long execution over the hours it held its worker', async () => {
    const [id] = await submit('dan', 1);
    await dispatcher().claimNext(queue, 'w', []);
    await db('executions').where({ id }).update({ claimed_at: db.raw("now() - interval '3 hours'") });
    await end(id!);
    const buckets = (await db('queue_usage').where({ queue }).orderBy('hour')) as Array<{ seconds: number; executions: number }>;
    expect(buckets.length).toBeGreaterThanOrEqual(4);
    expect(buckets.reduce((sum, bucket) => sum + bucket.seconds, 0)).toBeGreaterThanOrEqual(3 * 3600 - 1);
    expect(buckets.map((bucket) => bucket.executions)).toEqual([...Array(buckets.length - 1).fill(0), 1]);
  });

  it("records use when the worker's role, which may not write queue_usage, ends an execution, and lets it read use to dispatch", async () => {
    const [id] = await submit('dan', 1);
    await dispatcher().claimNext(queue, 'w', []);
    // as roles.sql grants the worker: executions, and nothing of queue_usage but what the migration gives everyone
    await db.raw(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plz_worker_like') THEN CREATE ROLE plz_worker_like; END IF; END $$`);
    await db.raw('GRANT SELECT, UPDATE ON executions TO plz_worker_like');
    await db.raw('GRANT SELECT (id, name) ON users TO plz_worker_like');
    await db.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE plz_worker_like');
      await expect(trx('queue_usage').insert({ queue, user_id: users.get('dan'), hour: trx.fn.now(), seconds: 1 })).rejects.toThrow(/permission denied/);
    });
    await db.transaction(async (trx) => {
      await trx.raw('SET LOCAL ROLE plz_worker_like');
      expect(await new ExecutionStore(trx).endTaken(id!, 'error', 'test')).toBe(true);
      await submit('dan', 1);
      expect(await new Dispatcher(trx, defaultFairShare).claimNext(queue, 'w', [])).toMatchObject({ user: 'dan' });
    });
    expect(await db('queue_usage').where({ queue }).sum('executions as executions').first()).toEqual({ executions: '1' });
  });

  it('starts high before normal before low, whatever the use', async () => {
    const [low] = await submit('ann', 1, 2);
    await submit('bob', 2, 1);
    const [high] = await submit('cat', 1, 0);
    const d = dispatcher();
    expect((await d.claimNext(queue, 'w', []))?.id).toBe(high);
    expect(await claimSequence(d, 2)).toEqual(['bob', 'bob']);
    expect((await d.claimNext(queue, 'w', []))?.id).toBe(low);
  });

  it('holds each user to the cap and skips executions in backoff', async () => {
    await submit('ann', 3);
    const [bobs] = await submit('bob', 1);
    const d = dispatcher({ max_running_per_user: 1 });
    expect(await claimSequence(d, 3)).toEqual(['ann', 'bob', undefined]);
    const heldByAnn = (await db('executions').where({ queue, state: 'preparing', user_id: users.get('ann') }).first('id')) as { id: string };
    await end(heldByAnn.id);
    expect(await claimSequence(d, 1)).toEqual(['ann']);
    // a released execution in backoff waits, however old it is
    await end(bobs!);
    await submit('cat', 1);
    const cats = await d.claimNext(queue, 'w', []);
    expect(await store.release(cats!.id, 'w', 60_000)).toBe(true);
    expect(await d.claimNext(queue, 'w', [])).toBeUndefined();
    await db('executions').where({ id: cats!.id }).update({ not_before: db.raw("now() - interval '1 second'") });
    expect(await d.claimNext(queue, 'w', [])).toMatchObject({ id: cats!.id, attempts: 2, not_before: null });
  });

  it("takes a user's next execution while the oldest is in backoff", async () => {
    const [first, second] = await submit('ann', 2);
    await db('executions').where({ id: first }).update({ not_before: db.raw("now() + interval '1 minute'") });
    const d = dispatcher();
    expect((await d.claimNext(queue, 'w', []))?.id).toBe(second);
    expect(await d.claimNext(queue, 'w', [])).toBeUndefined();
  });

  it('gives racing workers different executions', async () => {
    await submit('ann', 6);
    await submit('bob', 6);
    const d = dispatcher();
    const claimed = await Promise.all(Array.from({ length: 14 }, (_, index) => d.claimNext(queue, `w${index}`, [])));
    const ids = claimed.filter(Boolean).map((row) => row!.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(claimed.filter(Boolean).map((row) => row!.user).sort()).toEqual([...Array(6).fill('ann'), ...Array(6).fill('bob')]);
  });

  it('predicts the order the dispatcher follows, priorities, backoffs and the cap included', async () => {
    const settings = { max_running_per_user: 3 };
    const d = dispatcher(settings);
    await submit('ann', 5);
    await submit('bob', 2, 2);
    await submit('cat', 3);
    await submit('dan', 1, 0);
    await submit('ann', 2, 0);
    await submit('bob', 4);
    // one execution of cat held already
    await d.claimNext(queue, 'w-held', []);
    const { snapshot } = await d.snapshot(queue, 20);
    const predicted = predictStarts(snapshot);
    expect(predicted).toHaveLength(snapshot.waiting.length);
    const actual: string[] = [];
    for (let index = 0; index < 20; index += 1) {
      const row = await d.claimNext(queue, `w${index}`, []);
      if (!row) break;
      actual.push(row.id);
    }
    // every user capped at 3 held: the dispatcher stops where the prediction waits for an end
    expect(actual.length).toBeGreaterThan(6);
    expect(predicted.slice(0, actual.length).map((start) => start.id)).toEqual(actual);
    expect(predicted[0]).toMatchObject({ position: 1, startInSeconds: 0 });
  });
});

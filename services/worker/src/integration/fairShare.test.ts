import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestBed, type TestBed } from './harness.js';
import { jobSnapshot } from './jobs.js';

/**
 * Two workers under MAX_RUNNING_PER_USER=1 (issue 20), with no reconciler to make up for lost wake-ups: a user's
 * executions run one at a time, the other worker serves another user meanwhile, and every
 * execution runs (the worker that ends one of a capped user's executions wakes a worker for the next).
 */
describe('worker: the per-user cap', () => {
  let bed: TestBed;
  let snapshot: string;

  beforeAll(async () => {
    bed = await createTestBed('fairshare');
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('runs one execution of a capped user at a time, serves another user meanwhile, and leaves none behind', async () => {
    const [other] = (await bed.db('users').insert({ name: `other-${bed.runId}`, role: 'user' }).returning('id')) as Array<{ id: string }>;
    const mine = [];
    for (let index = 0; index < 3; index += 1) mine.push((await bed.submit({ snapshot, parameters: { epochs: 2, epoch_seconds: 1 } })).id);
    const theirs = (await bed.submit({ snapshot, parameters: { epochs: 1 }, userId: other!.id })).id;
    // no idle wake-up within the test: the wake-up for the capped user's next execution must do
    await bed.startWorker(`cpu-cap-a-${process.pid}`, { MAX_RUNNING_PER_USER: '1' }, { idleWakeMs: 600_000 });
    await bed.startWorker(`cpu-cap-b-${process.pid}`, { MAX_RUNNING_PER_USER: '1' }, { idleWakeMs: 600_000 });
    const rows = [];
    for (const id of [...mine, theirs]) rows.push(await bed.waitForState(id, undefined, 180_000));
    expect(rows.map((row) => row['state'])).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const spans = rows.slice(0, 3).map((row) => [(row['claimed_at'] as Date).getTime(), (row['finished_at'] as Date).getTime()] as const).sort((a, b) => a[0] - b[0]);
    for (let index = 1; index < spans.length; index += 1) expect(spans[index]![0]).toBeGreaterThanOrEqual(spans[index - 1]![1]);
    expect((rows[3]!['claimed_at'] as Date).getTime()).toBeLessThan(spans[2]![0]);
    expect(rows.every((row) => row['attempts'] === 1)).toBe(true);
  }, 300_000);

  it('takes an execution that no job announces (its wake-up lost) once idle', async () => {
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 1 }, enqueue: false });
    // the workers of the test before wake only for a capped user; this one wakes a worker of the queue when idle
    const worker = await bed.startWorker(`cpu-idle-${process.pid}`, {}, { idleWakeMs: 1_000 });
    expect(await bed.waitForState(id, undefined, 60_000)).toMatchObject({ state: 'succeeded', attempts: 1 });
    await worker.close();
  }, 120_000);
});

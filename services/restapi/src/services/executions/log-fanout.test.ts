import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { logStreamKey } from '@plz/contracts';
import { startTestApi, type TestApi } from '../../testing/harness.js';
import { LogFanout } from './log-fanout.js';

/** The shared reader of followed logs on a real Redis: waking for a new stream, falling behind. */
let api: TestApi;
let fanout: LogFanout;
const errors: unknown[] = [];
beforeAll(async () => {
  api = await startTestApi();
  fanout = new LogFanout(api.redis, { blockMs: 5_000, pageSize: 100, maxQueued: 10 }, (error) => errors.push(error));
}, 30_000);
afterAll(async () => {
  await fanout?.close();
  await api?.close();
});

const add = (id: string, line: string) => api.redis.xadd(logStreamKey(id), '*', 'stream', 'stdout', 'line', line);
const never = new AbortController().signal;

describe('LogFanout', () => {
  it('reads a stream followed while it waits on others at once, not after its 5 s wait', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    const one = fanout.follow(first, '0-0');
    await new Promise((resolve) => setTimeout(resolve, 300)); // now blocked on `first` alone
    const two = fanout.follow(second, '0-0');
    const started = Date.now();
    await add(second, 'hello');
    const batch = await two.next(3_000, never);
    expect(batch.entries.map((entry) => entry.fields['line'])).toEqual(['hello']);
    expect(Date.now() - started).toBeLessThan(1_000);
    one.close();
    two.close();
    expect(fanout.size).toEqual({ executions: 0, followers: 0 });
  });

  it('tells a follower that let more than maxQueued entries wait to read the stream itself, then goes on', async () => {
    const id = randomUUID();
    const follower = fanout.follow(id, '0-0');
    for (let index = 0; index < 30; index += 1) await add(id, `line ${index}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await follower.next(1_000, never)).toEqual({ entries: [], resync: true });
    await add(id, 'later');
    const batch = await follower.next(3_000, never);
    expect(batch.resync).toBe(false);
    expect(batch.entries.map((entry) => entry.fields['line'])).toEqual(['later']);
    follower.close();
  });

  it('returns an empty batch after the wait, or at once when aborted', async () => {
    const follower = fanout.follow(randomUUID(), '0-0');
    const started = Date.now();
    expect(await follower.next(200, never)).toEqual({ entries: [], resync: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = Date.now();
    await follower.next(5_000, controller.signal);
    expect(Date.now() - aborted).toBeLessThan(1_000);
    follower.close();
    expect(errors).toEqual([]);
  });
});

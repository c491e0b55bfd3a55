import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JobQueues } from '../adapters/job-queues.js';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { WorkerDirectory } from './workers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 30_000);
afterAll(async () => api?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (beats: Array<{ worker_id: string }>) => beats.map((beat) => beat.worker_id);

describe('WorkerDirectory.live', () => {
  it('serves a recent read, refreshes in the background, and waits only when the read is old', async () => {
    const directory = new WorkerDirectory(api.redis, new JobQueues(api.redis), 200);
    await writeHeartbeat(api.redis, { worker_id: 'a', queue: 'cpu' });
    expect(ids(await directory.live())).toEqual(['a']);
    await writeHeartbeat(api.redis, { worker_id: 'b', queue: 'cpu' });
    expect(ids(await directory.live())).toEqual(['a']); // fresh enough
    await sleep(250);
    expect(ids(await directory.live())).toEqual(['a']); // stale: served while refreshing
    await sleep(50);
    expect(ids(await directory.live())).toEqual(['a', 'b']); // the refresh landed
    await writeHeartbeat(api.redis, { worker_id: 'c', queue: 'gpu' });
    await sleep(1100);
    expect(ids(await directory.live())).toEqual(['a', 'b', 'c']); // too old to serve: read again
  });

  it('reads every time with a cache of 0', async () => {
    const directory = new WorkerDirectory(api.redis, new JobQueues(api.redis), 0);
    const before = ids(await directory.live());
    await writeHeartbeat(api.redis, { worker_id: 'z', queue: 'cpu' });
    expect(ids(await directory.live())).toEqual([...before, 'z'].sort());
  });
});

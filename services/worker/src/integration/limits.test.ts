import { cpus } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workerKey } from '@plz/contracts';
import { createTestBed, type TestBed } from './harness.js';

/** A snapshot whose image runs `python -c <code>`. */
const pythonJob = (tag: string, code: string) => ({
  Dockerfile: `# ${tag}\nFROM python:3.11-slim-bookworm\nCMD ${JSON.stringify(['python', '-c', code])}\n`,
});

const allocate200MiB = "x = b'\\x01' * (200 * 1024 * 1024)\nprint('allocated', len(x), flush=True)\n";
/** Every process forks forever; the first failure of each line of descent is printed once. */
const forkBomb = `import os, time
failures = 0
while True:
    try:
        os.fork()
    except OSError as error:
        if failures == 0: print('fork failed:', error, flush=True)
        failures += 1
        time.sleep(0.01)
`;

describe('worker: every job runs under memory, PIDs and run-time limits', () => {
  let bed: TestBed;
  const workerId = `cpu-limits-${process.pid}`;

  beforeAll(async () => {
    bed = await createTestBed('limits');
    // named as a worker host's workers are (yo plz-deploy --role worker): heartbeats carry that name
    await bed.startWorker(workerId, { WORKER_HOST: 'gpu-box-2', JOB_PIDS_LIMIT: '64', JOB_MEMORY_DEFAULT: '512m', JOB_MEMORY_MAX: '1g', JOB_MAX_RUN_SECONDS_DEFAULT: '60' });
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('publishes WORKER_HOST as its host in its heartbeat', async () => {
    expect(await bed.redis.hget(workerKey(workerId), 'hostname')).toBe('gpu-box-2');
  });

  it('ends a job that allocates 200 MB under a 64 MiB limit in `error`, naming the limit', async () => {
    const { id } = await bed.submit({ snapshot: await bed.snapshot(pythonJob(`${bed.runId} oom`, allocate200MiB)), resources: { gpus: 0, memory: 64 * 1024 ** 2 } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'error', exit_code: 137 });
    expect(row['error']).toMatch(/^out of memory: the job went past its memory limit of 64 MiB and the kernel killed it/);
    const lines = (await bed.logEntries(id)).map((entry) => entry['line']);
    expect(lines).toContain(`limits: memory 64 MiB (no swap), ${Math.min(4, cpus().length)} CPUs, /dev/shm 64 MiB, 64 processes, run time 60 s`);
    expect(lines).not.toContain(`allocated ${200 * 1024 * 1024}`);
  }, 120_000);

  it('stops a fork bomb at 64 processes and its run time; the worker stays healthy and runs the next job', async () => {
    const { id } = await bed.submit({ snapshot: await bed.snapshot(pythonJob(`${bed.runId} fork`, forkBomb)), maxRunSeconds: 6 });
    const row = await bed.waitForState(id, undefined, 90_000);
    expect(row).toMatchObject({ state: 'error', error: 'maximum run time exceeded (6 s)' });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line'] ?? '');
    expect(lines.some((line) => line.startsWith('fork failed: [Errno 11] Resource temporarily unavailable'))).toBe(true);
    expect(await bed.containersOf(workerId)).toEqual([]);
    expect(await bed.redis.exists(workerKey(workerId))).toBe(1);
    const next = await bed.submit({ snapshot: await bed.snapshot(pythonJob(`${bed.runId} next`, "print('still here')")) });
    expect(await bed.waitForState(next.id)).toMatchObject({ state: 'succeeded', exit_code: 0 });
  }, 150_000);

  it('refuses a request over the worker\'s maximum before building anything', async () => {
    const { id } = await bed.submit({ snapshot: 'e'.repeat(64), resources: { gpus: 0, memory: 2 * 1024 ** 3 } });
    expect(await bed.waitForState(id)).toMatchObject({ state: 'error', error: 'the execution asks for 2 GiB of memory, more than this worker allows (JOB_MEMORY_MAX = 1 GiB)' });
  }, 60_000);
});

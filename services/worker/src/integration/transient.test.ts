import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestBed, type TestBed } from './harness.js';
import { jobSnapshot } from './jobs.js';

/**
 * A dependency down while an execution is prepared (issue 15): here MLflow, for real — the first
 * worker is configured with an MLflow address where nothing listens (connection refused). The
 * execution must go back to the queue, not end, and run once the dependency is reachable.
 */
describe('worker: a service down while preparing', () => {
  let bed: TestBed;
  let snapshot: string;

  beforeAll(async () => {
    bed = await createTestBed('transient');
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('puts the execution back in the queue when MLflow is unreachable, and another attempt runs it', async () => {
    // a backoff longer than it takes to close this worker: the next attempt is the next worker's
    const unreachable = await bed.startWorker(`cpu-no-mlflow-${process.pid}`, { MLFLOW_URL: 'http://127.0.0.1:9' }, { retryBackoffMs: 10_000 });
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 1 } });
    await bed.waitForLine(id, 'the execution goes back to the queue', 90_000);
    await unreachable.close();
    const released = await bed.row(id);
    expect(released).toMatchObject({ state: 'queued', worker_id: null, mlflow_run_id: null, finished_at: null, attempts: 1 });
    // it keeps its place, in backoff; a delayed job wakes a worker when the backoff is over
    expect((released['not_before'] as Date).getTime()).toBeGreaterThan(Date.now() + 5_000);

    await bed.startWorker(`cpu-mlflow-${process.pid}`);
    const row = await bed.waitForState(id, undefined, 120_000);
    expect(row).toMatchObject({ state: 'succeeded', worker_id: `cpu-mlflow-${process.pid}`, attempts: 2 });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line'] ?? '');
    expect(lines.some((line) => /^preparing stopped \(.*\): the execution goes back to the queue$/.test(line))).toBe(true);
  }, 300_000);
});

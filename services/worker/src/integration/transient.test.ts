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
    const unreachable = await bed.startWorker(`cpu-no-mlflow-${process.pid}`, { MLFLOW_URL: 'http://127.0.0.1:9' });
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 1 }, attempts: 3, backoffMs: 8_000 });
    await bed.waitForLine(id, 'the execution goes back to the queue', 90_000);
    await unreachable.close();
    expect(await bed.row(id)).toMatchObject({ state: 'queued', worker_id: null, mlflow_run_id: null, finished_at: null });

    await bed.startWorker(`cpu-mlflow-${process.pid}`);
    const row = await bed.waitForState(id, undefined, 120_000);
    expect(row).toMatchObject({ state: 'succeeded', worker_id: `cpu-mlflow-${process.pid}` });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line'] ?? '');
    expect(lines.some((line) => /^preparing stopped \(.*\): the execution goes back to the queue$/.test(line))).toBe(true);
  }, 300_000);
});

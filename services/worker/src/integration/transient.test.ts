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

  it("runs the job when MLflow refuses its parameters (logged while it starts), and notes it in the end's error, keeping the job's state", async () => {
    // a run recorded on the row (a preparation started again) whose param `epochs` has another value: MLflow refuses to change it
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 1 }, enqueue: false });
    const experimentId = await bed.mlflow.createExperiment({ name: `params-${bed.runId}` });
    const run = await bed.mlflow.createRun({ experimentId, runName: id });
    await bed.mlflow.logBatch(run.info.run_id, { params: [{ key: 'epochs', value: '99' }] });
    await bed.db('executions').where({ id }).update({ mlflow_experiment_id: experimentId, mlflow_run_id: run.info.run_id });
    await bed.enqueueRaw({ execution_id: id });
    const row = await bed.waitForState(id, undefined, 120_000);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, mlflow_run_id: run.info.run_id });
    expect(row['error']).toContain('the parameters could not be logged in MLflow');
    expect(row['measures']).toMatchObject({ epoch_1: { loss: 1 } });
    const lines = (await bed.logEntries(id)).map((entry) => entry['line'] ?? '');
    expect(lines).toContain('epoch 1');
    expect((await bed.mlflow.getRun(run.info.run_id)).data.params).toEqual([{ key: 'epochs', value: '99' }]);
  }, 300_000);
});

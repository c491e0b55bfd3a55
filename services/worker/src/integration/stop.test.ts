import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestBed, type TestBed } from './harness.js';
import { jobSnapshot } from './jobs.js';

const names = (files: Array<{ path?: string }>): string[] => files.map((file) => path.basename(file.path ?? '')).sort();

describe('worker: stopping jobs', () => {
  let bed: TestBed;
  let snapshot: string;
  const workerId = `cpu-stop-${process.pid}`;

  beforeAll(async () => {
    bed = await createTestBed('stop');
    await bed.startWorker(workerId);
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('stops a running job on request: `stopped`, the output written so far kept, the MLflow run KILLED', async () => {
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 100, epoch_seconds: 0.5 } });
    await bed.waitForLine(id, 'epoch 3', 90_000);
    const asked = Date.now();
    await bed.requestStop(id);
    const row = await bed.waitForState(id);
    // docker-init passes SIGTERM to the job, which ends well before the grace period.
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect(row).toMatchObject({ state: 'stopped', error: null });
    const kept = await bed.mlflow.listArtifacts({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/models' });
    expect(names(kept)).toEqual(expect.arrayContaining(['model_1.txt', 'model_2.txt', 'model_3.txt']));
    expect(kept.length).toBeLessThan(100);
    expect((await bed.mlflow.getRun(row['mlflow_run_id'] as string)).info.status).toBe('KILLED');
    const entries = await bed.logEntries(id);
    expect(entries).toContainEqual({ stream: 'system', line: 'stop requested: stopping the container' });
    expect(entries.at(-1)).toEqual({ end: 'stopped' });
    expect(await bed.containersOf(workerId)).toEqual([]);
  }, 120_000);

  it('ends a job stopped before it starts in `stopped` without running it', async () => {
    const { id } = await bed.submit({ snapshot, enqueue: false });
    await bed.requestStop(id);
    await bed.enqueueRaw((await bed.submitPayload(id))!);
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'stopped', started_at: null, mlflow_run_id: null });
    expect((await bed.logEntries(id)).at(-1)).toEqual({ end: 'stopped' });
  }, 60_000);

  it('stops a job past its maximum run time: `error` with the reason, its output kept', async () => {
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 100, epoch_seconds: 0.5 }, maxRunSeconds: 3 });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'error', error: 'maximum run time exceeded (3 s)' });
    const elapsed = (row['finished_at'] as Date).getTime() - (row['started_at'] as Date).getTime();
    expect(elapsed).toBeGreaterThanOrEqual(3_000);
    expect(elapsed).toBeLessThan(20_000);
    const kept = await bed.mlflow.listArtifacts({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/models' });
    expect(kept.length).toBeGreaterThan(0);
    expect((await bed.mlflow.getRun(row['mlflow_run_id'] as string)).info.status).toBe('FAILED');
  }, 90_000);
});

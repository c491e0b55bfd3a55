import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestBed, dockerCli, type TestBed } from './harness.js';
import { jobSnapshot } from './jobs.js';

const run = promisify(execFile);
/** The compiled worker (`npx tsc --build` first): killed for real, as a crashed container would be. */
const mainJs = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

const streamText = async (stream: NodeJS.ReadableStream): Promise<string> => {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
};

describe('worker: restarts', () => {
  let bed: TestBed;
  let snapshot: string;
  const children: ChildProcess[] = [];

  /** Starts the worker as its own process, with the environment a deployment gives it. */
  const startProcess = (workerId: string): ChildProcess => {
    const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env['PATH'], ...bed.env(workerId, { LOG_LEVEL: 'warn' }) }, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) => new Promise<number | string | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code, signal) => resolve(code ?? signal))));
  /** Starts worker `workerId`, submits a job of 100 half-second epochs, and SIGKILLs the worker at its first epoch; the job's container goes on. Returns the execution id. */
  const killedAtFirstEpoch = async (workerId: string): Promise<string> => {
    const child = startProcess(workerId);
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 100, epoch_seconds: 0.5 } });
    await bed.waitForLine(id, 'epoch 1', 90_000);
    child.kill('SIGKILL');
    await exited(child);
    expect(await bed.containersOf(workerId)).toHaveLength(1);
    return id;
  };

  beforeAll(async () => {
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npx tsc --build\` before the tests`);
    bed = await createTestBed('recovery');
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await bed?.close();
  }, 60_000);

  it('re-attaches to the job of a worker killed mid-job: the job completes, harvested once, its log continued without repeats', async () => {
    const workerId = `cpu-killed-${process.pid}`;
    const child = startProcess(workerId);
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 8, epoch_seconds: 0.5 } });
    await bed.waitForLine(id, 'epoch 2', 90_000);
    child.kill('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    expect(await bed.containersOf(workerId)).toHaveLength(1);
    expect((await bed.row(id))['state']).toBe('running');

    const worker = await bed.startWorker(workerId);
    await worker.recovered;
    const row = await bed.row(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, worker_id: workerId });
    const experimentId = row['mlflow_experiment_id'] as string;
    const runId = row['mlflow_run_id'] as string;
    const models = await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output/models' });
    expect(models).toHaveLength(8);
    expect((await bed.mlflow.getMetricHistory(runId, 'loss')).map((m) => m.step).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const entries = await bed.logEntries(id);
    for (let epoch = 1; epoch <= 8; epoch += 1) expect(entries.filter((e) => e['line'] === `epoch ${epoch}`)).toHaveLength(1);
    expect(entries.some((e) => e['stream'] === 'system' && e['line']?.includes('re-attached'))).toBe(true);
    expect(entries.filter((e) => e['end'])).toEqual([{ end: 'succeeded' }]);
    const log = await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'logs/execution.log' }));
    for (let epoch = 1; epoch <= 8; epoch += 1) expect(log.split('\n').filter((line) => line === `epoch ${epoch}`)).toHaveLength(1);
    expect(await bed.containersOf(workerId)).toEqual([]);
    await worker.close();
  }, 180_000);

  it('leaves a job running on SIGTERM and re-attaches at the next start', async () => {
    const workerId = `cpu-sigterm-${process.pid}`;
    const child = startProcess(workerId);
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 6, epoch_seconds: 0.5 } });
    await bed.waitForLine(id, 'epoch 1', 90_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(await bed.containersOf(workerId)).toHaveLength(1);
    const worker = await bed.startWorker(workerId);
    await worker.recovered;
    expect((await bed.row(id))['state']).toBe('succeeded');
    await worker.close();
  }, 120_000);

  it('ends in `error` a job whose container vanished while its worker was away', async () => {
    const workerId = `cpu-vanished-${process.pid}`;
    const id = await killedAtFirstEpoch(workerId);
    await run(dockerCli, ['rm', '-f', ...(await bed.containersOf(workerId))]);
    const worker = await bed.startWorker(workerId);
    await worker.recovered;
    expect(await bed.row(id)).toMatchObject({ state: 'error', error: 'the job container vanished while the worker was away' });
    expect((await bed.logEntries(id)).at(-1)).toEqual({ end: 'error' });
    await worker.close();
  }, 120_000);

  it('removes the container of a job stopped without its worker (as the REST API does) and ends its MLflow run KILLED', async () => {
    const workerId = `cpu-gone-${process.pid}`;
    const id = await killedAtFirstEpoch(workerId);
    // what the REST API's stop does when the worker sends no heartbeat: the row ends `stopped`
    const stoppedAt = new Date();
    await bed.db('executions').where({ id }).update({ state: 'stopped', error: `stopped without its worker ${workerId}`, finished_at: stoppedAt, updated_at: stoppedAt });
    const runId = (await bed.row(id))['mlflow_run_id'] as string;
    expect((await bed.mlflow.getRun(runId)).info.status).toBe('RUNNING');
    const worker = await bed.startWorker(workerId);
    await worker.recovered;
    expect(await bed.containersOf(workerId)).toEqual([]);
    expect((await bed.row(id))['state']).toBe('stopped');
    expect((await bed.mlflow.getRun(runId)).info).toMatchObject({ status: 'KILLED', end_time: stoppedAt.getTime() });
    await worker.close();
  }, 120_000);

  it('never lets two workers hold the same GPU of a Docker host', async () => {
    const first = await bed.startWorker(`gpu-a-${process.pid}`, { NVIDIA_VISIBLE_DEVICES: '0' });
    await expect(bed.startWorker(`gpu-b-${process.pid}`, { NVIDIA_VISIBLE_DEVICES: '1,0' })).rejects.toThrow(`GPU 0 of this Docker host is held by worker gpu-a-${process.pid}`);
    const other = await bed.startWorker(`gpu-c-${process.pid}`, { NVIDIA_VISIBLE_DEVICES: '1' });
    await other.close();
    await first.close();
    // Released on a graceful stop: another worker may now take GPU 0.
    const next = await bed.startWorker(`gpu-b-${process.pid}`, { NVIDIA_VISIBLE_DEVICES: '0' });
    await next.close();
  }, 60_000);
});

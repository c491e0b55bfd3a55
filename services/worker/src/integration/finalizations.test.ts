/**
 * A worker finalizes an exited execution (harvest, recorded end) while it takes and runs its next
 * one (execution/finalizations.ts): executions that follow each other keep their own log, output,
 * measures and MLflow run, and a worker killed between an exit and its finalization finishes it at
 * its next start.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

describe('worker: finalizing while the next execution runs', () => {
  let bed: TestBed;
  let snapshot: string;
  const children: ChildProcess[] = [];

  /** What a reader sees of an ended execution: its row, MLflow run, output models, full log and live log. */
  const outcome = async (id: string) => {
    const row = await bed.row(id);
    const experimentId = row['mlflow_experiment_id'] as string;
    const runId = row['mlflow_run_id'] as string;
    const mlflowRun = await bed.mlflow.getRun(runId);
    const models = (await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output/models' })).map((file) => file.path.split('/').at(-1)).sort();
    const log = await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'logs/execution.log' }));
    const losses = (await bed.mlflow.getMetricHistory(runId, 'loss')).map((metric) => metric.step).sort((a, b) => a! - b!);
    return { row, mlflowRun, models, log, losses, live: await bed.logEntries(id) };
  };

  beforeAll(async () => {
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npx tsc --build\` before the tests`);
    bed = await createTestBed('finalize');
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await bed?.close();
  }, 60_000);

  it('executions run back to back by one worker each keep their own log, output, measures and MLflow run', async () => {
    const workerId = `cpu-back-to-back-${process.pid}`;
    const worker = await bed.startWorker(workerId);
    const submitted = [];
    for (let k = 1; k <= 4; k += 1) submitted.push({ k, ...(await bed.submit({ snapshot, parameters: { epochs: k, run: `run-${k}` } })) });
    for (const { id } of submitted) await bed.waitForState(id);
    await worker.close();
    for (const { k, id } of submitted) {
      const { row, mlflowRun, models, log, losses, live } = await outcome(id);
      expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, worker_id: workerId, error: null });
      expect(row['measures']).toMatchObject({ [`epoch_${k}`]: { loss: 1 / k } });
      expect(mlflowRun.info.status).toBe('FINISHED');
      expect(Object.fromEntries((mlflowRun.data.params ?? []).map((p) => [p.key, p.value]))).toMatchObject({ run: `run-${k}` });
      expect(models).toEqual(Array.from({ length: k }, (_, i) => `model_${i + 1}.txt`));
      expect(losses).toEqual(Array.from({ length: k }, (_, i) => i + 1));
      // its own parameters line, and no other execution's
      const parameterLines = log.split('\n').filter((line) => line.startsWith('parameters '));
      expect(parameterLines).toEqual([`parameters ${JSON.stringify({ epochs: k, run: `run-${k}` }).replaceAll(',', ', ').replaceAll(':', ': ')}`]);
      expect(log).toContain('execution succeeded (exit code 0)');
      expect(live.filter((entry) => entry['end'])).toEqual([{ end: 'succeeded' }]);
      expect(live.filter((entry) => entry['line']?.startsWith('parameters '))).toHaveLength(1);
    }
    expect(await bed.containersOf(workerId)).toEqual([]);
  }, 240_000);

  it('a worker killed after a job exited and before its finalization finishes it at the next start, and the next job too', async () => {
    const workerId = `cpu-finalize-killed-${process.pid}`;
    const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env['PATH'], ...bed.env(workerId, { LOG_LEVEL: 'warn' }) }, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    const first = await bed.submit({ snapshot, parameters: { epochs: 10, epoch_seconds: 0.5, run: 'first' } });
    const second = await bed.submit({ snapshot, parameters: { epochs: 6, epoch_seconds: 0.5, run: 'second' } });
    await bed.waitForState(first.id, ['running'], 90_000);
    // PostgreSQL holds the first execution's row: its harvest cannot begin (`running → harvesting`
    // waits for the lock) once its job has exited, ten epochs later.
    const trx = await bed.db.transaction();
    try {
      await trx('executions').where({ id: first.id }).forUpdate().first('id');
      // The worker takes and starts the second execution while the first one's finalization waits.
      await bed.waitForState(second.id, ['running'], 90_000);
      expect((await bed.row(first.id))['state']).toBe('running');
      const { stdout } = await run(dockerCli, ['inspect', '--format', '{{.State.Status}}', `plz-job-${first.id}`]);
      expect(stdout.trim()).toBe('exited');
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    } finally {
      await trx.rollback();
    }
    const worker = await bed.startWorker(workerId);
    await worker.recovered;
    for (const [{ id }, epochs, name] of [[first, 10, 'first'], [second, 6, 'second']] as const) {
      const { row, mlflowRun, models, log, live } = await outcome(id);
      expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, worker_id: workerId });
      expect(mlflowRun.info.status).toBe('FINISHED');
      expect(models).toHaveLength(epochs);
      for (let epoch = 1; epoch <= epochs; epoch += 1) expect(log.split('\n').filter((line) => line === `epoch ${epoch}`)).toHaveLength(1);
      expect(log).toContain(`"run": "${name}"`);
      expect(live.filter((entry) => entry['end'])).toEqual([{ end: 'succeeded' }]);
    }
    expect(await bed.containersOf(workerId)).toEqual([]);
    await worker.close();
  }, 240_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workerKey } from '@plz/contracts';
import { createTestBed, dockerCli, type TestBed } from './harness.js';
import { jobSnapshot } from './jobs.js';

const streamText = async (stream: NodeJS.ReadableStream): Promise<string> => {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
};

const names = (files: Array<{ path?: string }>): string[] => files.map((file) => path.basename(file.path ?? '')).sort();

describe('worker: a job that succeeds, one that fails, an invalid payload', () => {
  let bed: TestBed;
  let snapshot: string;
  const workerId = `cpu-ok-${process.pid}`;
  const webUrl = 'https://gpu-box.example:8443';

  beforeAll(async () => {
    bed = await createTestBed('ok');
    const datasets = mkdtempSync(path.join(bed.scratch, 'datasets-'));
    writeFileSync(path.join(datasets, 'ds.txt'), 'dataset content');
    await bed.startWorker(workerId, { DATASETS_SOURCE: datasets, WEB_URL: webUrl });
    snapshot = await bed.snapshot(jobSnapshot(bed.runId));
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('runs a job to `succeeded` with its output, log, measures, summary and params in MLflow', async () => {
    const input = await bed.input({ 'data.txt': 'input data' });
    const { id } = await bed.submit({ snapshot, name: 'first run', input: { kind: 'input', sha256: input }, parameters: { lr: 0.1, optimizer: { name: 'sgd', momentum: 0.9 }, epochs: 3, links: true } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, error: null, worker_id: workerId, gpus: [] });
    expect(row['started_at']).toBeInstanceOf(Date);
    expect(row['finished_at']).toBeInstanceOf(Date);
    expect(row['measures']).toEqual({
      epoch_1: { loss: 1, accuracy: 0.6 },
      epoch_2: { loss: 0.5, accuracy: 0.7 },
      epoch_3: { loss: 1 / 3, accuracy: 0.8 },
    });
    expect(row['summary']).toEqual({ max_accuracy: 0.8, best: { epoch: 3 } });

    // Live log: build lines, job stdout and stderr, the end entry last.
    const entries = await bed.logEntries(id);
    expect(entries.some((e) => e['stream'] === 'build')).toBe(true);
    expect(entries).toContainEqual({ stream: 'stdout', line: 'epoch 3' });
    expect(entries).toContainEqual({ stream: 'stderr', line: 'a warning' });
    expect(entries.at(-1)).toEqual({ end: 'succeeded' });
    expect(await bed.redis.ttl(`plz:logs:${id}`)).toBeGreaterThan(0);

    // MLflow: the run, its tags, params (nested keys joined with '.'), metrics with steps, status.
    const runId = row['mlflow_run_id'] as string;
    const experimentId = row['mlflow_experiment_id'] as string;
    const run = await bed.mlflow.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.experiment_id).toBe(experimentId);
    expect(run.info.run_name).toBe('first run');
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toEqual({ lr: '0.1', 'optimizer.name': 'sgd', 'optimizer.momentum': '0.9', epochs: '3', links: 'true' });
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'plz.execution_id': id,
      'mlflow.user': bed.user.name,
      'plz.snapshot': snapshot,
      'plz.input': input,
      'plz.worker': workerId,
      'plz.gpus': 'none',
      'plz.state': 'succeeded',
      // the link to the execution's page in plz (WEB_URL), and the run's Markdown description linking there
      'plz.execution_url': `${webUrl}/executions/${id}`,
      'mlflow.note.content': `plz execution [${id}](${webUrl}/executions/${id}): logs, outputs and state in plz.`,
    });
    // the project's experiment is a model-training one for MLflow's UI
    const experiment = await bed.mlflow.getExperimentByName(tags['plz.project'] ?? '');
    expect(experiment?.experiment_id).toBe(experimentId);
    expect(experiment?.tags).toContainEqual({ key: 'mlflow.experimentKind', value: 'custom_model_development' });
    const loss = await bed.mlflow.getMetricHistory(runId, 'loss');
    expect(loss.map((m) => [m.step, m.value]).sort()).toEqual([
      [1, 1],
      [2, 0.5],
      [3, 1 / 3],
    ]);
    expect((await bed.mlflow.getMetricHistory(runId, 'summary.max_accuracy')).map((m) => m.value)).toEqual([0.8]);
    expect((await bed.mlflow.getMetricHistory(runId, 'summary.best.epoch')).map((m) => m.value)).toEqual([3]);

    // Artifacts, through MLflow's artifact API: the output tree and the full log.
    const output = await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output' });
    // A link inside the output becomes a copy of its target; one leaving it is skipped.
    expect(names(output)).toEqual(['dataset-copy.txt', 'input-files.txt', 'latest.txt', 'models']);
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/latest.txt' }))).toBe('weights 1');
    const models = await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output/models' });
    expect(names(models)).toEqual(['model_1.txt', 'model_2.txt', 'model_3.txt']);
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/models/model_2.txt' }))).toBe('weights 2');
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/input-files.txt' }))).toBe('data.txt');
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/dataset-copy.txt' }))).toBe('dataset content');
    const log = await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'logs/execution.log' }));
    // stdout and stderr are separate pipes: their lines are ordered within each stream only.
    const [e1, e2, e3] = ['epoch 1\n', 'epoch 2\n', 'epoch 3\n'].map((line) => log.indexOf(line));
    expect(e1).toBeGreaterThan(log.indexOf('Successfully built'));
    expect(e1).toBeLessThan(e2!);
    expect(e2).toBeLessThan(e3!);
    expect(log).toContain('a warning\n');
    expect(log).toContain('[plz] execution succeeded (exit code 0)');
    expect(log).toContain('[plz] skipped escape: a link to /etc/passwd, outside the output folder');

    // The container is gone; the worker is idle and alive.
    const idleBy = Date.now() + 10_000;
    while ((await bed.redis.hget(workerKey(workerId), 'execution_id')) !== '' && Date.now() < idleBy) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await bed.containersOf(workerId)).toEqual([]);
    const heartbeat = await bed.redis.hgetall(workerKey(workerId));
    // without WORKER_HOST, the host is the Docker engine's host name (GET /info Name)
    const engineName = execFileSync(dockerCli, ['info', '--format', '{{.Name}}'], { encoding: 'utf8' }).trim();
    expect(heartbeat).toMatchObject({ worker_id: workerId, queue: 'cpu', gpus: '[]', execution_id: '', hostname: engineName });
    expect(Date.now() - Date.parse(readFileSync(path.join(bed.scratch, `${workerId}.heartbeat`), 'utf8').trim())).toBeLessThan(15_000);

    // The output of this execution is the input of the next (execution_output), with the cached image.
    const second = await bed.submit({
      snapshot,
      parameters: { epochs: 1 },
      input: { kind: 'execution_output', execution_id: id, mlflow_experiment_id: experimentId, mlflow_run_id: runId },
    });
    const secondRow = await bed.waitForState(second.id);
    expect(secondRow['state']).toBe('succeeded');
    const secondEntries = await bed.logEntries(second.id);
    expect(secondEntries.some((e) => e['stream'] === 'build')).toBe(false);
    expect(secondEntries.some((e) => e['line']?.startsWith('using the cached image'))).toBe(true);
    const inputs = await streamText(
      await bed.mlflow.downloadArtifact({ experimentId: secondRow['mlflow_experiment_id'] as string, runId: secondRow['mlflow_run_id'] as string, path: 'output/input-files.txt' }),
    );
    expect(inputs.split('\n')).toEqual(['dataset-copy.txt', 'input-files.txt', 'latest.txt', 'models/model_1.txt', 'models/model_2.txt', 'models/model_3.txt']);
  }, 180_000);

  it.each([
    ['with one archive request of /plz', 0],
    ['part by part when the job left files beside them in /plz', 5],
  ])('harvests an execution without input %s: output, links, measures and summary', async (_how, strayMib) => {
    const { id } = await bed.submit({ snapshot, parameters: { epochs: 2, links: true, stray_mib: strayMib } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, error: null });
    expect(row['measures']).toEqual({ epoch_1: { loss: 1, accuracy: 0.6 }, epoch_2: { loss: 0.5, accuracy: 0.7 } });
    expect(row['summary']).toEqual({ max_accuracy: 0.8, best: { epoch: 3 } });
    const runId = row['mlflow_run_id'] as string;
    const experimentId = row['mlflow_experiment_id'] as string;
    expect(names(await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output' }))).toEqual(['dataset-copy.txt', 'input-files.txt', 'latest.txt', 'models']);
    expect(names(await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output/models' }))).toEqual(['model_1.txt', 'model_2.txt']);
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/latest.txt' }))).toBe('weights 1');
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/input-files.txt' }))).toBe('');
    expect((await bed.mlflow.getMetricHistory(runId, 'loss')).map((m) => [m.step, m.value]).sort()).toEqual([
      [1, 1],
      [2, 0.5],
    ]);
    expect((await bed.mlflow.getMetricHistory(runId, 'summary.best.epoch')).map((m) => m.value)).toEqual([3]);
    const log = await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'logs/execution.log' }));
    // each skip reported once, whichever way the parts were read
    expect(log.split('[plz] skipped escape: a link to /etc/passwd, outside the output folder').length).toBe(2);
    expect(log).toContain('[plz] kept the output: 5 file(s)');
  }, 120_000);

  it('ends a job that exits 42 in `failed` with exit code 42, its output kept', async () => {
    const { id } = await bed.submit({ snapshot, parameters: { exit_code: 42, epochs: 1 } });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'failed', exit_code: 42, error: null });
    const run = await bed.mlflow.getRun(row['mlflow_run_id'] as string);
    expect(run.info.status).toBe('FAILED');
    const output = await bed.mlflow.listArtifacts({ experimentId: row['mlflow_experiment_id'] as string, runId: row['mlflow_run_id'] as string, path: 'output/models' });
    expect(names(output)).toEqual(['model_1.txt']);
    expect((await bed.logEntries(id)).at(-1)).toEqual({ end: 'failed' });
  }, 120_000);

  it('ends an execution whose record cannot be run in `error`, and goes on with the next', async () => {
    const invalid = await bed.submit({ snapshot: 'not-a-hash' });
    const row = await bed.waitForState(invalid.id);
    expect(row['state']).toBe('error');
    expect(row['error']).toMatch(/^the execution's record cannot be run: snapshot: /);
    expect((await bed.logEntries(invalid.id)).at(-1)).toEqual({ end: 'error' });
    const next = await bed.submit({ snapshot, parameters: { epochs: 0 } });
    expect((await bed.waitForState(next.id))['state']).toBe('succeeded');
  }, 120_000);
});

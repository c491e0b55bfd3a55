import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from './stack.js';

// The job: reads its input, honours parameters (exit_code, sleep), writes output, measures, summary.
const job = `
import json, os, sys, time
config = json.load(open(os.environ["CONFIGURATION_FILE"]))
p = config["parameters"]
print("learning rate", p.get("lr"), flush=True)
print("greeting", os.environ.get("PLZ_TEST_GREETING"), flush=True)
for line in range(int(p.get("lines", 0))):
    print("line %03d" % line, flush=True)
    time.sleep(0.1)
for second in range(int(p.get("sleep", 0))):
    print("sleeping", second, flush=True)
    time.sleep(1)
names = sorted(os.listdir(config["input_directory"]))
with open(os.path.join(config["output_directory"], "result.txt"), "w") as f:
    f.write("inputs: " + ",".join(names) + "\\n")
for epoch in (1, 2):
    with open(os.path.join(config["measures_directory"], "epoch_%d" % epoch), "w") as f:
        json.dump({"loss": 1.0 / epoch, "lr": p.get("lr")}, f)
with open(config["summary_measures_path"], "w") as f:
    json.dump({"accuracy": 0.5 + float(p.get("lr", 0)), "epochs": 2}, f)
print("done", flush=True)
sys.exit(int(p.get("exit_code", 0)))
`;

const files = {
  'plz.config.json': JSON.stringify({ project: 'cli-test', image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'], image_extensions: ['ENV PLZ_TEST_GREETING=hello'], input: 'file://data', excluded_paths: ['data', 'output', '*.json'], included_paths: ['plz.config.json'] }),
  'main.py': job,
  'data/a.txt': 'first input\n',
  'data/b.txt': 'second input\n',
};

const idIn = (text: string): string => {
  const match = /execution ([0-9a-f-]{36}) queued/.exec(text);
  if (!match) throw new Error(`no execution id in:\n${text}`);
  return match[1]!;
};

describe('plz against a real REST API and worker', () => {
  let stack: Stack;
  let dir: string;
  let first: string;

  beforeAll(async () => {
    stack = await startStack();
    dir = stack.project(files);
    writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ lr: 0.25 }));
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('runs a job with input and parameters: logs, summary, output, exit status 0', async () => {
    const result = await stack.plz(dir, ['run', '--parameters', 'params.json']);
    expect(result.stderr + result.stdout).toMatch(/uploaded/);
    expect(result.stdout).toContain('learning rate 0.25');
    expect(result.stdout).toContain('greeting hello');
    expect(result.stdout).toContain('"accuracy": 0.75');
    expect(result.status).toBe(0);
    first = idIn(result.stdout);
    expect(readFileSync(path.join(dir, 'output', first, 'result.txt'), 'utf8')).toBe('inputs: a.txt,b.txt\n');
  }, 300_000);

  it('uploads nothing the second time', async () => {
    const result = await stack.plz(dir, ['run', '--parameters', 'params.json', '--detach']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('already stored');
    expect(result.stdout).toContain('input: unchanged, already stored');
    expect(result.stdout).not.toMatch(/uploaded/);
  }, 120_000);

  it('shows measures, the summary, the status and the history', async () => {
    const measures = JSON.parse((await stack.plz(dir, ['measures', first])).stdout) as Record<string, unknown>;
    expect(measures).toMatchObject({ epoch_1: { loss: 1, lr: 0.25 }, epoch_2: { loss: 0.5 } });
    expect(JSON.parse((await stack.plz(dir, ['measures', '-s', first])).stdout)).toEqual({ accuracy: 0.75, epochs: 2 });
    expect((await stack.plz(dir, ['status', first])).stdout).toContain(`${first}: succeeded`);
    const history = JSON.parse((await stack.plz(dir, ['history'])).stdout) as Record<string, { parameters: unknown; summary: unknown }>;
    expect(history[first]).toMatchObject({ parameters: { lr: 0.25 }, summary: { accuracy: 0.75 }, measures: { epoch_1: { loss: 1 }, summary: { accuracy: 0.75 } } });
    const list = await stack.plz(dir, ['list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+PROJECT\s+USER\s+CREATED\s+NAME$/);
    expect(list.stdout).toMatch(new RegExp(`^${first}\\s+succeeded\\s+cli-test\\s+admin\\s+\\d+ (s|min) ago`, 'm'));
    const outside = stack.project({});
    expect((await stack.plz(outside, ['status', first])).stdout).toContain(`${first}: succeeded`);
    const tail = await stack.plz(outside, ['logs', first, '--tail', '2']);
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);
    expect(tail.stdout).toContain('[plz] execution succeeded (exit code 0)');
    const recent = await stack.plz(outside, ['--json', 'logs', first, '--since', '1d']);
    expect((JSON.parse(recent.stdout) as { lines: string[] }).lines).toContain('learning rate 0.25');
  }, 60_000);

  it("links a browser to the execution's MLflow run (plz ui)", async () => {
    const described = JSON.parse((await stack.plz(dir, ['describe', first])).stdout) as { mlflow_experiment_id: string; mlflow_run_id: string };
    expect(described.mlflow_run_id).toBeTruthy();
    const link = await stack.plz(dir, ['--json', 'ui', first]);
    expect(link.status).toBe(0);
    const { url } = JSON.parse(link.stdout) as { url: string };
    const answer = await fetch(url, { redirect: 'manual' });
    expect(answer.headers.get('location')).toBe(`/mlflow/#/experiments/${described.mlflow_experiment_id}/runs/${described.mlflow_run_id}?workflowType=machine_learning`);
  }, 60_000);

  it('downloads the output again, refusing a non-empty folder without --force', async () => {
    const again = await stack.plz(dir, ['output', first, '-o', 'copy']);
    expect(again.status).toBe(0);
    expect(existsSync(path.join(dir, 'copy', 'result.txt'))).toBe(true);
    const refused = await stack.plz(dir, ['output', first, '-o', 'copy']);
    expect(refused.status).toBe(120);
    expect(refused.stderr).toContain('use --force');
    expect((await stack.plz(dir, ['output', first, '-o', 'copy', '--force'])).status).toBe(0);
  }, 60_000);

  it('reruns with overridden parameters', async () => {
    writeFileSync(path.join(dir, 'override.json'), JSON.stringify({ lr: 0.4 }));
    const result = await stack.plz(dir, ['rerun', first, '--override-parameters', 'override.json']);
    expect(result.status).toBe(0);
    const id = idIn(result.stdout);
    expect(id).not.toBe(first);
    expect(result.stdout).toContain('learning rate 0.4');
    const described = JSON.parse((await stack.plz(dir, ['describe', id])).stdout) as { parameters: unknown; snapshot: string };
    expect(described.parameters).toEqual({ lr: 0.4 });
  }, 300_000);

  it('prints one JSON document with --json, the log on stderr', async () => {
    const result = await stack.plz(dir, ['--json', 'run', '--parameters', 'params.json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('learning rate 0.25');
    const document = JSON.parse(result.stdout) as { id: string; state: string; exit_status: number; summary: unknown; output: { files: number } };
    expect(document).toMatchObject({ state: 'succeeded', exit_code: 0, exit_status: 0, summary: { accuracy: 0.75 }, output: { files: 1 } });
  }, 300_000);

  it('loses no log line when the REST API restarts during plz run, and ends with the job exit status', async () => {
    writeFileSync(path.join(dir, 'restart.json'), JSON.stringify({ lr: 0.1, lines: 60, exit_code: 3 }));
    const running = stack.plz(dir, ['run', '--parameters', 'restart.json']);
    const started = Date.now();
    for (;;) {
      const listed = await stack.plz(dir, ['--json', 'list', '-n', '1']);
      const [latest] = JSON.parse(listed.stdout) as { state: string; parameters: { lines?: number } }[];
      if (latest?.state === 'running' && latest.parameters.lines === 60) break;
      if (Date.now() - started > 240_000) throw new Error(`the job never ran: ${listed.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await stack.restartApi(2000);
    const result = await running;
    expect(result.status).toBe(3);
    const id = idIn(result.stdout);
    const printed = result.stdout.split('\n').filter((line) => /^line \d{3}$/.test(line));
    const stored = (await stack.plz(dir, ['logs', id])).stdout.split('\n').filter((line) => /^line \d{3}$/.test(line));
    expect(stored).toEqual(Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(3, '0')}`));
    expect(printed).toEqual(stored);
  }, 300_000);

  it("returns a failing job's own exit status", async () => {
    writeFileSync(path.join(dir, 'fail.json'), JSON.stringify({ lr: 0.1, exit_code: 3 }));
    const result = await stack.plz(dir, ['run', '--parameters', 'fail.json']);
    expect(result.stderr).toMatch(/failed with exit code 3/);
    expect(result.status).toBe(3);
  }, 300_000);

  it('stops a running job', async () => {
    writeFileSync(path.join(dir, 'slow.json'), JSON.stringify({ lr: 0.1, sleep: 120 }));
    const started = await stack.plz(dir, ['run', '--parameters', 'slow.json', '--detach']);
    const id = idIn(started.stdout);
    for (let i = 0; i < 120; i++) {
      if ((await stack.plz(dir, ['status', id])).stdout.includes('running')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const stop = await stack.plz(dir, ['stop', id]);
    expect(stop.status).toBe(0);
    let state = '';
    for (let i = 0; i < 120 && !state.includes('stopped'); i++) {
      state = (await stack.plz(dir, ['status', id])).stdout;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(state).toContain(`${id}: stopped`);
    expect((await stack.plz(dir, ['last'])).stdout.trim()).toBe(id);
  }, 300_000);

  it('explains a bad token and a parameters file that is not an object', async () => {
    const bad = await stack.plz(dir, ['list'], { env: { PLZ_TOKEN: 'not-a-token' } });
    expect(bad.status).toBe(123);
    expect(bad.stderr).toMatch(/token was refused/);
    const json = await stack.plz(dir, ['--json', 'list'], { env: { PLZ_TOKEN: 'not-a-token' } });
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'unauthenticated', hint: expect.stringContaining('plz login') } });
    const down = await stack.plz(dir, ['status'], { env: { PLZ_URL: 'http://127.0.0.1:9' } });
    expect(down.status).toBe(122);
    expect(down.stderr).toMatch(/cannot reach the plz server/);
    writeFileSync(path.join(dir, 'list.json'), '[1]');
    const notObject = await stack.plz(dir, ['run', '--parameters', 'list.json']);
    expect(notObject.status).toBe(120);
    expect(notObject.stderr).toContain('must hold a JSON object, not an array');
  }, 60_000);
});

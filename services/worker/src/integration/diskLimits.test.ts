import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestBed, type TestBed } from './harness.js';

const streamText = async (stream: NodeJS.ReadableStream): Promise<string> => {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
};

/** A snapshot whose image runs `python -c <code>` (the code reads the configuration file it needs). */
const pythonJob = (tag: string, code: string) => ({
  Dockerfile: `# ${tag}\nFROM python:3.11-slim-bookworm\nCMD ${JSON.stringify(['python', '-c', `import json, os\nconfig = json.load(open(os.environ['CONFIGURATION_FILE']))\n${code}`])}\n`,
});

const KiB = 1024;

describe('worker: the log, output and measures of a job have size caps, never a silent loss', () => {
  let bed: TestBed;
  const workerId = `cpu-disk-${process.pid}`;

  beforeAll(async () => {
    bed = await createTestBed('disk');
    await bed.startWorker(workerId, { JOB_LOG_MAX_BYTES: '64k' });
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('truncates a log past JOB_LOG_MAX_BYTES with a [plz] line; the job goes on and keeps its outcome, the truncation noted in `error`', async () => {
    const code = "for i in range(4000): print('line %05d ' % i + 'x' * 90, flush=True)\nopen(os.path.join(config['output_directory'], 'after.txt'), 'w').write('written after the cap')\nprint('done', flush=True)\n";
    const { id } = await bed.submit({ snapshot: await bed.snapshot(pythonJob(`${bed.runId} log`, code)) });
    const row = await bed.waitForState(id);
    expect(row).toMatchObject({ state: 'succeeded', exit_code: 0, error: 'the log was truncated at 65536 bytes (JOB_LOG_MAX_BYTES)' });
    const notice = 'the log was truncated at 65536 bytes (JOB_LOG_MAX_BYTES = 64 KiB): later build and job output is not kept; the job goes on';
    const entries = await bed.logEntries(id);
    expect(entries).toContainEqual({ stream: 'system', line: notice });
    expect(entries).toContainEqual({ stream: 'stdout', line: `line 00000 ${'x'.repeat(90)}` });
    expect(entries.some((entry) => entry['line'] === 'done' || entry['line']?.startsWith('line 03999'))).toBe(false);
    expect(entries.at(-1)).toEqual({ end: 'succeeded' });

    const runId = row['mlflow_run_id'] as string;
    const experimentId = row['mlflow_experiment_id'] as string;
    const log = await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'logs/execution.log' }));
    expect(log).toContain(`[plz] ${notice}\n`);
    expect(log).toContain('[plz] execution succeeded (exit code 0): the log was truncated at 65536 bytes (JOB_LOG_MAX_BYTES)');
    expect(log).not.toContain('\ndone\n');
    expect(Buffer.byteLength(log)).toBeLessThan(64 * KiB + 4 * KiB);
    // the job went on past the cap: its output is kept
    expect(await streamText(await bed.mlflow.downloadArtifact({ experimentId, runId, path: 'output/after.txt' }))).toBe('written after the cap');
  }, 120_000);
});

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
    await bed.startWorker(workerId, { JOB_LOG_MAX_BYTES: '64k', JOB_OUTPUT_MAX_BYTES: '100k', JOB_MEASURES_MAX_BYTES: '2k' });
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
  it('keeps the output files that fit under JOB_OUTPUT_MAX_BYTES, lists the others and ends in `error`; measures past JOB_MEASURES_MAX_BYTES are not read, noted', async () => {
    const code = [
      "out, meas = config['output_directory'], config['measures_directory']",
      "open(os.path.join(out, 'big.bin'), 'wb').write(b'b' * 150 * 1024)",
      "open(os.path.join(out, 'medium.bin'), 'wb').write(b'm' * 60 * 1024)",
      "for name in ('small-1.txt', 'small-2.txt'): open(os.path.join(out, name), 'w').write('s' * 10)",
      "for epoch in (1, 2, 3): json.dump({'loss': 1.0 / epoch, 'pad': 'p' * 900}, open(os.path.join(meas, 'epoch_%d' % epoch), 'w'))",
      "print('done', flush=True)",
    ].join('\n');
    const { id } = await bed.submit({ snapshot: await bed.snapshot(pythonJob(`${bed.runId} output`, code)) });
    const row = await bed.waitForState(id);
    const reason = 'the output is 215060 bytes, more than JOB_OUTPUT_MAX_BYTES = 102400 (100 KiB): kept 3 file(s) (61460 bytes) that fit, left out 1 file(s) (153600 bytes), listed in the log';
    const note = '1 measure file(s) were not read: past JOB_MEASURES_MAX_BYTES = 2048 bytes (listed in the log)';
    expect(row).toMatchObject({ state: 'error', exit_code: 0, error: `${reason}; ${note}` });
    expect(Object.keys(row['measures'] as object)).toHaveLength(2);

    const lines = (await bed.logEntries(id)).filter((entry) => entry['stream'] === 'system').map((entry) => entry['line']);
    expect(lines).toContain(reason);
    expect(lines).toContain('left out of the output: big.bin (153600 bytes)');
    expect(lines.filter((line) => /^measure epoch_[123] skipped: past the measures cap JOB_MEASURES_MAX_BYTES \(2048 bytes\): not read$/.test(line ?? ''))).toHaveLength(1);

    const runId = row['mlflow_run_id'] as string;
    const experimentId = row['mlflow_experiment_id'] as string;
    const output = await bed.mlflow.listArtifacts({ experimentId, runId, path: 'output' });
    expect(output.map((file) => file.path?.split('/').pop()).sort()).toEqual(['medium.bin', 'small-1.txt', 'small-2.txt']);
    expect((await bed.mlflow.getRun(runId)).info.status).toBe('FAILED');
  }, 120_000);
});

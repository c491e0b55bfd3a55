import { mkdirSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isTerminal, type ExecutionStatus, type MeasuresResponse } from '@plz/contracts';
import type { ApiClient } from '../../api/client.js';
import { downloadTar } from '../../api/transfer.js';
import { exitCodes, UsageError } from '../../errors.js';
import { readLog } from '../executions/log-stream.js';
import type { Printer } from '../../output.js';

/** Polls the status until the execution ends (every `intervalMs`). */
export async function waitForEnd(api: ApiClient, id: string, intervalMs = 500): Promise<ExecutionStatus> {
  for (;;) {
    const status = await api.json<ExecutionStatus>('GET', `/api/v1/executions/${id}/status`);
    if (isTerminal(status.state)) return status;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Downloads an execution's output into `destination` (a tar from the API, extracted).
 * An existing, non-empty destination is refused unless `force`.
 *
 * @returns the number of files written.
 */
export async function downloadOutput(api: ApiClient, printer: Printer, id: string, destination: string, options: { path?: string; force?: boolean }): Promise<number> {
  if (existsSync(destination) && readdirSync(destination).length > 0 && !options.force) {
    throw new UsageError(`${destination} exists and is not empty: use --force to write into it, or -o to choose another folder`);
  }
  mkdirSync(destination, { recursive: true });
  return downloadTar(api, `/api/v1/executions/${id}/output`, { path: options.path }, destination, printer.progress);
}

/**
 * Exit status of `plz run` for an ended execution: the job's own for `succeeded`/`failed`,
 * exitCodes.ended (118) for `stopped` and `error`, which have none.
 */
export function exitStatusOf(status: Pick<ExecutionStatus, 'state' | 'exit_code'>): number {
  if (status.state === 'succeeded') return 0;
  if (status.state === 'failed') return status.exit_code ?? exitCodes.ended;
  return exitCodes.ended;
}

/** The one JSON document of `plz run --json` and `plz rerun --json` (without --detach). */
export interface FollowedExecution {
  id: string;
  state: ExecutionStatus['state'];
  exit_code: number | null;
  error: string | null;
  /** What plz exits with (see exitStatusOf). */
  exit_status: number;
  summary: unknown;
  output: { destination: string; files: number } | null;
}

/**
 * What `plz run` and `plz rerun` do after submitting: follow the logs (unless detached; on stderr
 * with --json), then print the summary measures, download the output to `output/<id>` (or
 * `outputDir`), and return the job's exit status. With --json, stdout gets one document at the
 * end (FollowedExecution). Ctrl-C leaves the job running and says how to follow it. `quietBuild`
 * (the configuration's `quiet_build`) leaves the image build's lines out of what is shown. A REST API
 * restart while following loses no line (see readLog).
 */
export async function followExecution(api: ApiClient, printer: Printer, id: string, options: { detach: boolean; outputDir?: string; quietBuild?: boolean }): Promise<number> {
  if (options.detach) {
    printer.info(`detached: follow it with "plz logs ${id}", fetch results with "plz output ${id}"`);
    return 0;
  }
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    // quiet_build: the image build's lines stay in the stored log but are not shown here.
    const streams = options.quietBuild ? { streams: 'stdout,stderr,system' } : {};
    await readLog(api, id, (line) => printer.log(line), { since: 'start', follow: true, signal: interrupt.signal, ...streams });
  } catch (error) {
    if (interrupt.signal.aborted) {
      printer.warn(`stopped following; the job goes on. Follow it again with "plz logs ${id}", stop it with "plz stop ${id}"`);
      if (printer.json) printer.result({ id, following: false, interrupted: true });
      return exitCodes.interrupted;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const status = await waitForEnd(api, id);
  const describe = status.state === 'failed' ? `failed with exit code ${status.exit_code}` : status.state === 'error' ? `ended in error: ${status.error ?? 'unknown reason'}` : status.state;
  (status.state === 'succeeded' ? printer.success.bind(printer) : printer.warn.bind(printer))(`execution ${id} ${describe}`);
  let summary: unknown = null;
  let output: FollowedExecution['output'] = null;
  if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'stopped') {
    const measures = await api.json<MeasuresResponse>('GET', `/api/v1/executions/${id}/measures`, { query: { summary: true } });
    summary = measures.summary ?? null;
    if (summary !== null && !printer.json) {
      printer.info('summary:');
      printer.result(summary, JSON.stringify(summary, null, 2));
    }
    const destination = path.resolve(options.outputDir ?? path.join('output', id));
    const files = await downloadOutput(api, printer, id, destination, { force: true }).catch((error: Error & { status?: number }) => {
      if (error.status === 404) return 0;
      throw error;
    });
    output = { destination, files };
    if (files > 0) printer.info(`output: ${files} file${files === 1 ? '' : 's'} in ${path.relative(process.cwd(), destination) || '.'}`);
  }
  const exitStatus = exitStatusOf(status);
  if (printer.json) {
    const document: FollowedExecution = { id, state: status.state, exit_code: status.exit_code, error: status.error, exit_status: exitStatus, summary, output };
    printer.result(document);
  }
  return exitStatus;
}

import { mkdirSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isTerminal, type ExecutionRecord, type ExecutionStatus, type MeasuresResponse } from '@plz/contracts';
import type { ApiClient } from '../api/client.js';
import { downloadTar } from '../api/transfer.js';
import { UsageError } from '../errors.js';
import type { Printer } from '../output.js';

/**
 * Streams an execution's log to stdout as the job prints it, from `since` (`start` or an ISO
 * time), until the execution ends (`follow`) or the log so far is printed. Ctrl-C (the signal)
 * stops only the following, never the job.
 */
export async function streamLogs(api: ApiClient, printer: Printer, id: string, options: { since: string; follow: boolean; signal?: AbortSignal }): Promise<void> {
  const response = await api.request('GET', `/api/v1/executions/${id}/logs`, {
    query: { since: options.since, follow: options.follow },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.body) return;
  for await (const chunk of Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>)) printer.raw(chunk as Buffer);
}

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
  return downloadTar(api, `/api/v1/executions/${id}/output`, { path: options.path }, destination, printer.interactive);
}

/** Exit status of `plz run` for an ended execution: the job's own for `succeeded`/`failed`, 1 otherwise. */
export function exitStatusOf(status: Pick<ExecutionStatus, 'state' | 'exit_code'>): number {
  if (status.state === 'succeeded') return 0;
  if (status.state === 'failed') return status.exit_code ?? 1;
  return 1;
}

/**
 * What `plz run` and `plz rerun` do after submitting: follow the logs (unless detached), then
 * print the summary measures, download the output to `output/<id>` (or `outputDir`), and return
 * the job's exit status. Ctrl-C leaves the job running and says how to follow it.
 */
export async function followExecution(api: ApiClient, printer: Printer, id: string, options: { detach: boolean; outputDir?: string }): Promise<number> {
  if (options.detach) {
    printer.info(`detached: follow it with "plz logs ${id}", fetch results with "plz output ${id}"`);
    return 0;
  }
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    await streamLogs(api, printer, id, { since: 'start', follow: true, signal: interrupt.signal });
  } catch (error) {
    if (interrupt.signal.aborted) {
      printer.warn(`stopped following; the job goes on. Follow it again with "plz logs ${id}", stop it with "plz stop ${id}"`);
      return 130;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const status = await waitForEnd(api, id);
  const describe = status.state === 'failed' ? `failed with exit code ${status.exit_code}` : status.state === 'error' ? `ended in error: ${status.error ?? 'unknown reason'}` : status.state;
  (status.state === 'succeeded' ? printer.success.bind(printer) : printer.warn.bind(printer))(`execution ${id} ${describe}`);
  if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'stopped') {
    const measures = await api.json<MeasuresResponse>('GET', `/api/v1/executions/${id}/measures`, { query: { summary: true } });
    if (measures.summary !== undefined && measures.summary !== null) {
      printer.info('summary:');
      printer.result(measures.summary, JSON.stringify(measures.summary, null, 2));
    }
    const destination = path.resolve(options.outputDir ?? path.join('output', id));
    const files = await downloadOutput(api, printer, id, destination, { force: true }).catch((error: Error & { status?: number }) => {
      if (error.status === 404) return 0;
      throw error;
    });
    if (files > 0) printer.info(`output: ${files} file${files === 1 ? '' : 's'} in ${path.relative(process.cwd(), destination) || '.'}`);
  }
  return exitStatusOf(status);
}

/** A short human line for an execution. */
export function executionLine(record: Pick<ExecutionRecord, 'id' | 'state' | 'project' | 'exit_code' | 'created_at' | 'name'>): string {
  const code = record.state === 'failed' && record.exit_code !== null ? ` (exit ${record.exit_code})` : '';
  return `${record.id}  ${record.state.padEnd(10)}${code}  ${record.project}  ${record.created_at}${record.name ? `  ${record.name}` : ''}`;
}

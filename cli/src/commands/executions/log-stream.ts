import { isTerminal, type ExecutionStatus } from '@plz/contracts';
import { ApiClientError, type ApiClient } from '../../api/client.js';

/**
 * Splits a log's text into lines across chunks and passes on the lines from number `skip` on
 * (0-based, counted from the start of the read), so that a read started again from the same
 * place prints nothing twice.
 */
export class LineSkipper {
  private partial = '';
  private index = 0;

  constructor(
    /** Lines already printed by an earlier read of the same log. */
    public skip: number,
    private readonly out: (line: string) => void,
  ) {}

  /** Complete lines printed so far (by this read and the ones before). */
  get printed(): number {
    return Math.max(this.skip, this.index);
  }

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.line(`${line}\n`);
  }

  /** The read ended normally: a last line without a newline is printed as it is. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(text: string): void {
    if (this.index >= this.skip) this.out(text);
    this.index += 1;
  }
}

export interface LogReadOptions {
  /** `start` or an ISO 8601 time (the REST API's `since`). */
  since: string;
  follow: boolean;
  /** Lines to leave out at the start (already printed). */
  skip?: number;
  signal?: AbortSignal;
  /** Comma-separated streams to keep (the REST API's `streams`: stdout, stderr, system, build); default all. */
  streams?: string;
  /** Reconnections in a row that bring no new line before giving up. */
  maxIdleReconnects?: number;
  /** Pause before a reconnection, ms (grows to 8 s). */
  reconnectDelayMs?: number;
}

/** Resolves after `ms`, or at once when `signal` aborts or has aborted already (an aborted signal fires no more event). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** A broken connection while the log streamed (the REST API restarted, a proxy cut it). */
function isBrokenStream(error: unknown): boolean {
  if (error instanceof ApiClientError) return error.kind === 'unreachable' || [502, 503, 504].includes(error.status ?? 0);
  return error instanceof TypeError || (error as { code?: string }).code === 'ECONNRESET' || (error as Error).name === 'SocketError';
}

/**
 * Reads an execution's log (`GET /api/v1/executions/{id}/logs`) and hands each line to `out`,
 * following it until the execution ends when `follow`. When the connection breaks or the answer
 * ends before the execution did (a REST API restart), it reads again from the same `since` and
 * leaves out the lines already handed on, so no line is lost or repeated; the request itself is
 * retried with backoff (ApiClient). Lines are counted, as the REST API offers no position to
 * resume from.
 *
 * @returns the number of lines handed on, `skip` included.
 * @throws ApiClientError when the REST API stays away (after its retries) or refuses (404); the
 *   abort error when `signal` is aborted.
 */
export async function readLog(api: ApiClient, id: string, out: (line: string) => void, options: LogReadOptions): Promise<number> {
  const decoder = new TextDecoder();
  const firstDelay = options.reconnectDelayMs ?? 500;
  let printed = options.skip ?? 0;
  let idle = 0;
  let delay = firstDelay;
  for (;;) {
    const before = printed;
    const reader = new LineSkipper(printed, out);
    try {
      const response = await api.request('GET', `/api/v1/executions/${id}/logs`, {
        query: { since: options.since, follow: options.follow, streams: options.streams },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) reader.push(decoder.decode(chunk, { stream: true }));
      reader.push(decoder.decode());
      const ended = !options.follow || isTerminal((await api.json<ExecutionStatus>('GET', `/api/v1/executions/${id}/status`, options.signal ? { signal: options.signal } : {})).state);
      if (ended) {
        reader.end();
        return reader.printed;
      }
      // The answer ended while the execution goes on: the REST API stopped; read again.
    } catch (error) {
      if (options.signal?.aborted || !isBrokenStream(error)) throw error;
    }
    printed = reader.printed;
    idle = printed > before ? 0 : idle + 1;
    if (idle > (options.maxIdleReconnects ?? 10)) throw new ApiClientError('unreachable', `the log of ${id} keeps breaking off`, undefined, undefined, undefined, `follow it again with plz logs ${id}`);
    await sleep(delay, options.signal);
    delay = printed > before ? firstDelay : Math.min(delay * 2, 8_000);
  }
}

/**
 * The log's last `tail` lines so far, then (with `follow`) every new line until the execution
 * ends: the log is read once to its current end and the follow leaves those lines out.
 */
export async function readLogTail(api: ApiClient, id: string, out: (line: string) => void, options: LogReadOptions & { tail: number }): Promise<number> {
  const lines: string[] = [];
  const total = await readLog(api, id, (line) => lines.push(line), { ...options, follow: false });
  for (const line of lines.slice(Math.max(0, lines.length - options.tail))) out(line);
  if (!options.follow) return total;
  return readLog(api, id, out, { ...options, skip: total });
}

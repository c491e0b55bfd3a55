import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pRetry from 'p-retry';
import { ApiError } from '@plz/contracts';
import { exitCodes, PlzError } from '../errors.js';

/** Why a call to the REST API failed, with a message fit to print as is. */
export class ApiClientError extends PlzError {
  override readonly name: string = 'ApiClientError';
  constructor(
    /** `unreachable`: no answer (or none in time); `unauthorized`: missing or bad token; `api`: any other error answer. */
    readonly kind: 'unreachable' | 'unauthorized' | 'api',
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    /** The API's stable error code, when it gave one (e.g. `no_worker`, `payload_too_large`). */
    code?: string,
    details?: unknown,
    hint?: string,
  ) {
    const exitCode = kind === 'unreachable' ? exitCodes.unreachable : kind === 'unauthorized' ? exitCodes.unauthorized : exitCodes.refused;
    super(message, code ?? kind, exitCode, hint ?? hintFor(kind, code), details);
  }
}

/** What to do about an API error code (the codes of services/restapi's errors.ts). */
function hintFor(kind: ApiClientError['kind'], code: string | undefined): string | undefined {
  if (kind === 'unreachable') return 'is the deployment up, and is the URL right? (plz login URL, or PLZ_URL)';
  if (kind === 'unauthorized') return 'log in again with a valid token: plz login';
  switch (code) {
    case 'no_worker':
      return 'no live worker serves that queue now: pass --queue-without-worker to queue it anyway (it waits until one starts), or see plz workers';
    case 'not_found':
      return 'check the id: plz list shows your latest executions';
    case 'payload_too_large':
      return 'the snapshot or input is over the deployment\'s limit: add big files to "excluded_paths", or put data in "input"';
    case 'priority_not_allowed':
      return 'high priority is for admins, or within your allowance per window (plz workers shows it): use --priority normal, or ask an admin';
    case 'not_queued':
      return 'only a queued execution changes priority: plz status shows its state';
    case 'conflict':
      return undefined;
    default:
      return undefined;
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A raw body (streamed); give `headers['content-length']` with it. Such requests are never retried. */
  body?: ReadableStream<Uint8Array> | Uint8Array;
  headers?: Record<string, string>;
  /** Statuses that are answers rather than errors (e.g. 404 for a HEAD existence check). */
  accept?: readonly number[];
  signal?: AbortSignal;
  /**
   * Milliseconds to wait for the answer's status and headers (the body may stream for longer):
   * default `ApiClient.timeoutMs`; 0 waits for ever (an upload's answer comes after its body).
   */
  timeoutMs?: number;
  /** Retry on no answer and on 502/503/504; default: for GET and HEAD (idempotent) without a streamed body. */
  retry?: boolean;
}

/** Retry policy of idempotent requests: 5 retries, 0.5 s doubling to 8 s (about 20 s in all). */
export const retryPolicy = { retries: 5, minTimeout: 500, maxTimeout: 8_000, factor: 2 } as const;

const transientStatuses = new Set([502, 503, 504]);

/**
 * A small client of the plz REST API (`<url>/api/v1/...`) with a bearer token. Errors become
 * ApiClientError: an unreachable server (or one that does not answer within the timeout), a
 * missing or rejected token (401), and the API's `{"error": {"code", "message", "details"}}`
 * answers. Idempotent requests (GET, HEAD) are retried with backoff (p-retry) when there is no
 * answer or a proxy says the REST API is away (502/503/504), e.g. while it restarts.
 */
export class ApiClient {
  readonly baseUrl: string;
  /** Default time to wait for an answer's headers, ms. */
  timeoutMs = 30_000;
  /** Retry policy of idempotent requests (tests shorten it). */
  retry: { retries: number; minTimeout: number; maxTimeout: number; factor: number } = { ...retryPolicy };

  constructor(url: string, private readonly token: string | undefined) {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /** Sends a request to `path` (starting with `/`, e.g. `/api/v1/executions`) and returns the response. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const retry = options.retry ?? ((method === 'GET' || method === 'HEAD') && !(options.body instanceof ReadableStream));
    if (!retry) return this.once(method, path, options);
    return pRetry(() => this.once(method, path, options), {
      ...this.retry,
      ...(options.signal ? { signal: options.signal } : {}),
      shouldRetry: ({ error }) => error instanceof ApiClientError && (error.kind === 'unreachable' || transientStatuses.has(error.status ?? 0)),
    });
  }

  private async once(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { ...options.headers };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let body: RequestInit['body'];
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      body = options.body as RequestInit['body'];
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => timeout.abort(), timeoutMs) : undefined;
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal, ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (timeout.signal.aborted) throw new ApiClientError('unreachable', `the plz server at ${this.baseUrl} did not answer ${method} ${path} within ${timeoutMs / 1000} s`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiClientError('unreachable', `cannot reach the plz server at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (response.ok || options.accept?.includes(response.status)) return response;
    throw await this.errorFrom(response, method, path);
  }

  /**
   * Sends `body` (`bytes` long) as the body of `method path` with node's http client, which waits
   * for the socket to drain: memory stays flat whatever the size (Node's fetch reads a streamed
   * body ahead of the socket, holding up to all of it). No timeout, no retry; errors as `request`.
   *
   * @returns the answer's status and its body as text.
   */
  async upload(method: string, path: string, body: Readable, bytes: number, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const url = new URL(`${this.baseUrl}${path}`);
    const all: Record<string, string> = { ...headers, 'content-length': String(bytes) };
    if (this.token) all['authorization'] = `Bearer ${this.token}`;
    // node:http(s) only for uploads: the other requests go through fetch, and every command would load them at start.
    const { request: send } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const request = send(url, { method, headers: all });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
    });
    // The server may answer (an error) before the whole body is sent: its answer is what counts,
    // and a failed send (a file read error, a reset) shows as the request's error.
    pipeline(body, request).catch(() => undefined);
    let response: IncomingMessage;
    try {
      response = await answered;
    } catch (error) {
      body.destroy();
      const code = (error as { code?: string }).code;
      throw new ApiClientError('unreachable', `cannot reach the plz server at ${this.baseUrl} (${code ?? (error as Error).message})`);
    }
    let text = '';
    for await (const chunk of response) text += (chunk as Buffer).toString('utf8');
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { status, text };
    body.destroy();
    throw await this.errorFrom(new Response(text, { status, statusText: response.statusMessage ?? '' }), method, path);
  }

  /** Sends a request and parses a JSON answer. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, options);
    return (await response.json()) as T;
  }

  private async errorFrom(response: Response, method: string, path: string): Promise<ApiClientError> {
    const text = await response.text().catch(() => '');
    let parsed: ApiError | undefined;
    try {
      const candidate = ApiError.safeParse(JSON.parse(text));
      if (candidate.success) parsed = candidate.data;
    } catch {
      // not JSON: a proxy's page, say
    }
    const { code, message, details } = parsed?.error ?? { code: undefined, message: `${method} ${path} answered ${response.status} ${response.statusText}`, details: undefined };
    if (response.status === 401) {
      const hint = this.token
        ? 'the token was refused (revoked, expired or mistyped): log in again with plz login (or set PLZ_TOKEN)'
        : 'no token: log in with plz login URL (or set PLZ_TOKEN)';
      return new ApiClientError('unauthorized', message, 401, code, details, hint);
    }
    return new ApiClientError('api', message, response.status, code, details);
  }
}

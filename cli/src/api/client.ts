import { ApiError } from '@plz/contracts';

/** Why a call to the REST API failed, with a message fit to print as is. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    /** `unreachable`: no answer; `unauthorized`: missing or bad token; `api`: any other error answer. */
    readonly kind: 'unreachable' | 'unauthorized' | 'api',
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    /** The API's stable error code, when it gave one (e.g. `no_worker`, `payload_too_large`). */
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  /** A raw body (streamed); give `headers['content-length']` with it. */
  body?: ReadableStream<Uint8Array> | Uint8Array;
  headers?: Record<string, string>;
  /** Statuses that are answers rather than errors (e.g. 404 for a HEAD existence check). */
  accept?: readonly number[];
  signal?: AbortSignal;
}

/**
 * A small client of the plz REST API (`<url>/api/v1/...`) with a bearer token. Errors become
 * ApiClientError: an unreachable server, a missing or rejected token (401/403 on auth), and the
 * API's `{"error": {"code", "message", "details"}}` answers.
 */
export class ApiClient {
  readonly baseUrl: string;

  constructor(url: string, private readonly token: string | undefined) {
    this.baseUrl = url.replace(/\/+$/, '');
  }

  /** Sends a request to `path` (starting with `/`, e.g. `/api/v1/executions`) and returns the response. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
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
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: options.signal ?? null, ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiClientError('unreachable', `cannot reach the plz server at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message}): is the deployment up, and is "url" right in plz.config.json?`);
    }
    if (response.ok || options.accept?.includes(response.status)) return response;
    throw await this.errorFrom(response, method, path);
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
      const hint = this.token ? 'the token was refused: check "token" in plz.config.json (or PLZ_TOKEN)' : 'no token: set "token" in plz.config.json or PLZ_TOKEN';
      return new ApiClientError('unauthorized', `${message} (${hint})`, 401, code, details);
    }
    return new ApiClientError('api', message, response.status, code, details);
  }
}

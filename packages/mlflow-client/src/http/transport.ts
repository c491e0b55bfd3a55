import pRetry from 'p-retry';
import { errorFromFailure, errorFromResponse, isRetryable, MlflowError } from './errors.js';

/** What `onRetry` is told before each new attempt. */
export interface RetryEvent {
  /** `METHOD /path` of the request. */
  operation: string;
  /** Number of the attempt that failed, from 1. */
  attempt: number;
  /** Retries still allowed after this one. */
  retriesLeft: number;
  error: MlflowError;
}

/**
 * Retry policy for calls that fail without an answer, with HTTP 5xx or with HTTP 429 (never another
 * 4xx). Waits grow exponentially: `minTimeoutMs * factor^(n-1)`, capped at `maxTimeoutMs`, each
 * multiplied by a random factor in [1, 2) when `randomize` is on.
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 5; 0 disables retrying). */
  retries?: number;
  /** Wait before the first retry in milliseconds (default 250). */
  minTimeoutMs?: number;
  /** Longest wait between two attempts in milliseconds (default 10,000). */
  maxTimeoutMs?: number;
  /** Growth of the wait per retry (default 2). */
  factor?: number;
  /** Spread the waits of concurrent clients (default true). */
  randomize?: boolean;
  /** Called before each retry, e.g. to log it; must not throw. */
  onRetry?: (event: RetryEvent) => void;
}

export interface TransportOptions {
  /** Headers added to every request (e.g. `Authorization` when a proxy in front of MLflow asks for it). */
  headers?: Record<string, string>;
  retry?: RetryOptions;
  /**
   * Per-attempt limit in milliseconds for JSON calls (default 60,000); artifact transfers have
   * none, their duration depending on their size.
   */
  requestTimeoutMs?: number;
}

export interface SendOptions {
  /** false: one attempt only (a request body that cannot be replayed, such as a stream). */
  retry?: boolean;
  /** Read the whole body inside the attempt, so that a body cut short is retried too (JSON calls). */
  buffer?: boolean;
  /** Per-attempt limit in milliseconds; none when undefined. */
  timeoutMs?: number;
}

const operationOf = (request: Request): string => `${request.method} ${new URL(request.url).pathname}`;

/**
 * Sends HTTP requests to MLflow with `fetch`, turns every failure into an `MlflowError` and retries
 * the retryable ones with p-retry.
 */
export class Transport {
  readonly #headers: Record<string, string>;
  readonly #retry: Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>;
  readonly requestTimeoutMs: number;

  constructor(options: TransportOptions = {}) {
    this.#headers = { ...options.headers };
    const retry = options.retry ?? {};
    this.#retry = {
      retries: retry.retries ?? 5,
      minTimeoutMs: retry.minTimeoutMs ?? 250,
      maxTimeoutMs: retry.maxTimeoutMs ?? 10_000,
      factor: retry.factor ?? 2,
      randomize: retry.randomize ?? true,
      onRetry: retry.onRetry,
    };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /**
   * Sends the request made by `makeRequest` (called once per attempt, so that each attempt has an
   * unread body) and resolves with a 2xx response.
   *
   * @throws MlflowError for a non-2xx answer (MLflow's `error_code`) or no answer (`CONNECTION_FAILED`,
   *   `TIMEOUT`), once the retries allowed are spent or at once when the error is not retryable.
   */
  async send(makeRequest: () => Request, options: SendOptions = {}): Promise<Response> {
    const { retry = true, buffer = false, timeoutMs } = options;
    const attempt = async (): Promise<Response> => {
      const request = makeRequest();
      for (const [name, value] of Object.entries(this.#headers)) {
        if (!request.headers.has(name)) request.headers.set(name, value);
      }
      const operation = operationOf(request);
      const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetch(request, signal ? { signal } : {});
        if (!response.ok) throw await errorFromResponse(response, operation);
        if (!buffer) return response;
        const body = await response.arrayBuffer();
        return new Response(body.byteLength ? body : null, { status: response.status, statusText: response.statusText, headers: response.headers });
      } catch (error) {
        if (error instanceof MlflowError) throw error;
        throw errorFromFailure(error, operation);
      }
    };
    const policy = this.#retry;
    return pRetry(attempt, {
      retries: retry ? policy.retries : 0,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      factor: policy.factor,
      randomize: policy.randomize,
      shouldRetry: ({ error, attemptNumber, retriesLeft }) => {
        const mlflowError = error as MlflowError;
        if (!isRetryable(mlflowError)) return false;
        policy.onRetry?.({ operation: mlflowError.operation, attempt: attemptNumber, retriesLeft: retriesLeft - 1, error: mlflowError });
        return true;
      },
    });
  }
}

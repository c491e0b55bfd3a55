/**
 * Codes MLflow's REST handlers put in `error_code` that plz reacts to (mlflow/protos/databricks.proto),
 * plus the codes this client uses when no MLflow answer came back.
 */
export const mlflowErrorCodes = {
  /** HTTP 404: no experiment, run or artifact by that name or id. */
  resourceDoesNotExist: 'RESOURCE_DOES_NOT_EXIST',
  /** HTTP 400: e.g. an experiment name already taken. */
  resourceAlreadyExists: 'RESOURCE_ALREADY_EXISTS',
  /** HTTP 400: a bad field, a key breaking MLflow's naming rules, a param changing value. */
  invalidParameterValue: 'INVALID_PARAMETER_VALUE',
  /** HTTP 500. */
  internalError: 'INTERNAL_ERROR',
  /** Client side: the connection failed or broke (refused, reset, DNS) before an answer. */
  connectionFailed: 'CONNECTION_FAILED',
  /** Client side: no answer within the request timeout. */
  timeout: 'TIMEOUT',
} as const;

export interface MlflowErrorInit {
  /** MLflow's `error_code`, one of the client-side codes, or `HTTP_<status>` for a non-MLflow body. */
  errorCode: string;
  /** HTTP status of the answer; null when none came (connection error, timeout, refused input). */
  status: number | null;
  /** MLflow's own `message` (or the transport's), unchanged. */
  mlflowMessage: string;
  /** `METHOD /path` of the request, without the query string or credentials. */
  operation: string;
  cause?: unknown;
}

/**
 * The one error type thrown by the client for a failed MLflow call.
 *
 * `retryable` is true for what `isRetryable` accepts (connection errors, timeouts, HTTP 5xx and 429);
 * by the time the caller sees an error, the retries the client was configured with are spent.
 */
export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  readonly errorCode: string;
  readonly status: number | null;
  readonly mlflowMessage: string;
  readonly operation: string;

  constructor(init: MlflowErrorInit) {
    const status = init.status === null ? 'no response' : `HTTP ${init.status}`;
    super(`MLflow ${init.operation} failed: ${init.errorCode} (${status}): ${init.mlflowMessage}`, { cause: init.cause });
    this.errorCode = init.errorCode;
    this.status = init.status;
    this.mlflowMessage = init.mlflowMessage;
    this.operation = init.operation;
  }

  get retryable(): boolean {
    return isRetryable(this);
  }
}

/**
 * Whether a failed call may succeed if sent again: no answer at all (connection error, timeout),
 * HTTP 5xx, or HTTP 429 (MLflow's REQUEST_LIMIT_EXCEEDED / RESOURCE_EXHAUSTED). Never any other 4xx:
 * those are the caller's mistakes and repeat identically.
 */
export function isRetryable(error: Pick<MlflowError, 'status'>): boolean {
  return error.status === null || error.status >= 500 || error.status === 429;
}

/** True when `error` is an `MlflowError` with the given `error_code`. */
export function isMlflowError(error: unknown, errorCode?: string): error is MlflowError {
  return error instanceof MlflowError && (errorCode === undefined || error.errorCode === errorCode);
}

const MAX_MESSAGE = 2000;

/**
 * Builds the error of a non-2xx answer from its body: MLflow's JSON `{error_code, message}` when
 * present, else `HTTP_<status>` and the start of the body (a proxy's HTML page, for instance).
 */
export async function errorFromResponse(response: Response, operation: string): Promise<MlflowError> {
  const text = await response.text().catch(() => '');
  let errorCode = `HTTP_${response.status}`;
  let message = text.slice(0, MAX_MESSAGE) || response.statusText;
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'string') errorCode = body.error_code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the raw start of the body
  }
  return new MlflowError({ errorCode, status: response.status, mlflowMessage: message, operation });
}

/** Builds the error of a request that got no answer (`fetch` rejected). */
export function errorFromFailure(failure: unknown, operation: string): MlflowError {
  // Duck-typed: fetch's DOMException (a timeout) and errors from another realm fail `instanceof Error`.
  const { name, message, cause } = (typeof failure === 'object' && failure !== null ? failure : {}) as { name?: unknown; message?: unknown; cause?: unknown };
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const causeMessage = typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined;
  const detail = [typeof message === 'string' ? message : String(failure), typeof causeMessage === 'string' ? causeMessage : undefined]
    .filter(Boolean)
    .join(': ');
  return new MlflowError({
    errorCode: timedOut ? mlflowErrorCodes.timeout : mlflowErrorCodes.connectionFailed,
    status: null,
    mlflowMessage: detail,
    operation,
    cause: failure,
  });
}

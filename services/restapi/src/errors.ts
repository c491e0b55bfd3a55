/**
 * The one error type of the REST API (STYLE.md, Services). Each code has a fixed HTTP status; the
 * error handler turns an AppError into `{"error": {"code", "message", "details"?}}`.
 */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  no_worker: 409,
  not_stoppable: 409,
  not_queued: 409,
  priority_not_allowed: 403,
  no_output: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  hash_mismatch: 422,
  snapshot_missing: 422,
  input_missing: 422,
  over_limit: 422,
  unavailable: 503,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof errorStatus;

/**
 * An error with a stable `code` (see errorStatus for its HTTP status), optional JSON `details`,
 * and optional response headers (a 401's `www-authenticate` challenge).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, details?: unknown, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  /** HTTP status of this error's code. */
  get status(): number {
    return errorStatus[this.code];
  }
}

/** `not_found` naming the missing thing, e.g. notFound('execution', id). */
export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `${what} ${id} does not exist`);
}

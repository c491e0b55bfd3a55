/**
 * A job that can never succeed however often it is retried (an invalid payload, a missing
 * execution): the BullMQ adapter turns it into BullMQ's UnrecoverableError.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

const transientCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * Whether `error` is a dependency being unavailable rather than a mistake, so that the same call may
 * succeed later: a connection refused, reset or timed out (Node's error codes); PostgreSQL's
 * connection and shutdown classes (SQLSTATE 08xxx, 57P01-57P03, 53300: postgresql.org/docs/current/errcodes-appendix.html);
 * knex found no free connection; the AWS SDK's `$retryable` or an HTTP 5xx / 429 from MinIO; an
 * MLflow client error it marks retryable (connection, timeout, 5xx, 429). Looks through `cause`.
 */
export function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    const candidate = current as { code?: unknown; name?: unknown; message?: unknown; retryable?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (transientCodes.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
    if (candidate.name === 'KnexTimeoutError' || candidate.name === 'TimeoutError') return true;
    if (candidate.name === 'MlflowError') return candidate.retryable === true;
    if (candidate.$retryable) return true;
    const status = candidate.$metadata?.httpStatusCode;
    if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
    if (typeof candidate.message === 'string' && /Connection terminated|connection error|socket hang up|Connection is closed|ECONNREFUSED|getaddrinfo/i.test(candidate.message)) return true;
  }
  return false;
}

/** A job to try again later (BullMQ's backoff): something it waits for is not there yet. */
export class TransientJobError extends Error {
  override readonly name = 'TransientJobError';
}

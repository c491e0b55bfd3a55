import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type ErrorCode } from '../errors.js';

/** body-parser's error types (`err.type`) and what they mean for the client. */
const parserErrors: Record<string, ErrorCode> = {
  'entity.parse.failed': 'invalid_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.size.invalid': 'bad_request',
  'request.aborted': 'bad_request',
  'entity.verify.failed': 'bad_request',
};

/** Error codes of network failures reaching a dependency (PostgreSQL, Redis, MinIO). */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Error names of clients giving up on a dependency: knex's pool, ioredis's retries. */
const unavailableNames = new Set(['KnexTimeoutError', 'MaxRetriesPerRequestError']);

/** The JSON error body of an AppError: `{"error": {"code", "message", "details"?}}`. */
export function errorBody(appError: AppError): { error: { code: string; message: string; details?: unknown } } {
  const body: { code: string; message: string; details?: unknown } = { code: appError.code, message: appError.message };
  if (appError.details !== undefined) body.details = appError.details;
  return { error: body };
}

/** Turns anything thrown into an AppError: client mistakes keep their 4xx, the rest is 503 or 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const err = error as { type?: unknown; status?: unknown; statusCode?: unknown; code?: unknown; message?: unknown; name?: unknown };
  if (typeof err?.type === 'string' && err.type in parserErrors) {
    const code = parserErrors[err.type]!;
    const message = code === 'invalid_json' ? `malformed JSON body: ${String(err.message)}` : String(err.message);
    return new AppError(code, message);
  }
  const status = Number(err?.status ?? err?.statusCode);
  if (status >= 400 && status < 500) {
    if (status === 413) return new AppError('payload_too_large', String(err.message));
    if (status === 404) return new AppError('not_found', String(err.message));
    return new AppError('bad_request', String(err?.message ?? 'bad request'));
  }
  if ((typeof err?.code === 'string' && unavailableCodes.has(err.code)) || unavailableNames.has(String(err?.name)) || err?.message === 'Connection is closed.') {
    return new AppError('unavailable', 'a service the API depends on is unreachable; try again shortly');
  }
  return new AppError('internal', 'internal error');
}

/**
 * The one error handler: `{"error": {"code", "message", "details"?}}` with the code's status.
 * Unknown errors are 500 with the stack logged (never sent). When the response has started
 * (a stream failed midway), the connection is cut so the client sees an incomplete answer.
 */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const appError = toAppError(error);
  if (appError.status >= 500) req.log.error({ err: error }, 'request failed');
  else req.log.debug({ code: appError.code, msg: appError.message }, 'request refused');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(appError.headers)) res.setHeader(name, value);
  res.status(appError.status).json(errorBody(appError));
};

/** Answer for paths no route matches. */
export const notFoundHandler: RequestHandler = (req) => {
  throw new AppError('not_found', `no route ${req.method} ${req.path}`);
};

import { randomUUID } from 'node:crypto';
import type { Identity } from '@plz/contracts';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.js';

/** Request ids accepted from a caller (or NGINX): short and printable; others are replaced. */
const acceptedRequestId = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * pino-http middleware: a request id (the caller's `X-Request-Id` when it looks sane, else a new
 * UUID) echoed in the `X-Request-Id` answer header and bound to `req.log`; one line per finished
 * request with the caller's name (errors at `error`, client mistakes at `info`); probes of /health and /ready not logged.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && acceptedRequestId.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/ready' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    // The caller's name on the request's line (set by the auth middleware in res.locals).
    customProps: (_req, res) => {
      const identity = (res as unknown as { locals?: { identity?: Identity } }).locals?.identity;
      return (identity ? { user: identity.name } : undefined) as object;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}

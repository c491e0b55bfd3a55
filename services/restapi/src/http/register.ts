import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { requireAccess } from './auth.js';
import type { IdentitySources } from './credentials.js';
import type { AnyRoute } from './route.js';
import { validationError } from './validation.js';

/** Largest JSON body accepted (a sweep of 1000 parameter sets fits). */
export const jsonBodyLimit = '8mb';

const noFields = z.object({}).strict();

/** True when the request carries a body (a length above zero, or chunked). */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

const jsonParser = express.json({ limit: jsonBodyLimit, strict: true, type: ['application/json', 'application/*+json'] });

/** After the JSON parser: a body it did not parse was of another type. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.body === undefined && hasBody(req)) {
    next(new AppError('unsupported_media_type', `expected a JSON body (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`));
    return;
  }
  next();
};

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'path' | 'query' | 'body'): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

function handler(route: AnyRoute): RequestHandler {
  return async (req: Request, res: Response, _next: NextFunction) => {
    const params = parse(route.params ?? noFields, { ...req.params }, 'path');
    const query = parse(route.query ?? noFields, { ...req.query }, 'query');
    const body = route.body ? parse(route.body, req.body ?? {}, 'body') : undefined;
    const reply = await route.handle({ params, query, body, identity: res.locals['identity'] ?? null, req, res });
    if (!reply) return;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (reply.body === undefined) res.status(reply.status).end();
    else res.status(reply.status).json(reply.body);
  };
}

/**
 * Registers every route on `router` with its access check, JSON parsing (only routes with a
 * `body` schema; uploads read their own body) and validation of path, query and body: unknown
 * fields anywhere are refused with 400.
 */
export function registerRoutes(router: Router, routes: readonly AnyRoute[], identities: IdentitySources): void {
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    if (route.access !== 'public') chain.push(requireAccess(identities, route.access));
    if (route.body) chain.push(jsonParser, requireJson);
    chain.push(handler(route));
    router[route.method](route.path, ...chain);
  }
}

import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { Authenticator } from '../services/access/authenticator.js';
import type { Access } from './route.js';

/**
 * Middleware checking `Authorization: Bearer <token>`: 401 `unauthenticated` without a valid
 * token, 403 `forbidden` when the route is for admins and the caller is not one. Puts the caller's
 * Identity in `res.locals.identity`.
 */
export function requireAccess(authenticator: Authenticator, access: Exclude<Access, 'public'>): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="plz"');
      throw new AppError('unauthenticated', header ? 'the Authorization header must be "Bearer <token>"' : 'this operation needs a bearer token (Authorization: Bearer <token>)');
    }
    const identity = await authenticator.identify(match[1]!);
    if (!identity) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="plz", error="invalid_token"');
      throw new AppError('unauthenticated', 'the token is unknown or revoked');
    }
    if (access === 'admin' && identity.role !== 'admin') throw new AppError('forbidden', 'this operation is for admins');
    res.locals['identity'] = identity;
    next();
  };
}

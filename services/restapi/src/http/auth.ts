import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { checkSameOrigin, identifyRequest, missingCredential, type IdentitySources } from './credentials.js';
import type { Access } from './route.js';

/**
 * Middleware of non-public routes: identifies the caller (Bearer token, Basic user name + token,
 * or the browser session cookie, see identifyRequest): 401 `unauthenticated` without a valid one,
 * 403 `forbidden` when the route is for admins and the caller is not one, or when a
 * state-changing request carried by the session cookie comes from another origin. Puts the
 * caller's Identity in `res.locals.identity`.
 */
export function requireAccess(sources: IdentitySources, access: Exclude<Access, 'public'>): RequestHandler {
  return async (req, res, next) => {
    const caller = await identifyRequest(req, sources);
    if (!caller) throw missingCredential('this operation needs a plz identity: a bearer token (Authorization: Bearer <token>) or a browser session');
    checkSameOrigin(req, req.method, caller.via);
    if (access === 'admin' && caller.identity.role !== 'admin') throw new AppError('forbidden', 'this operation is for admins');
    res.locals['identity'] = caller.identity;
    next();
  };
}

import type { Identity } from '@plz/contracts';
import { parse as parseCookies } from 'cookie';
import type { Request } from 'express';
import { AppError } from '../errors.js';
import type { Authenticator } from '../services/access/authenticator.js';
import type { BrowserSessions } from '../services/access/sessions.js';

/** Name of the browser session cookie. */
export const sessionCookieName = 'plz_session';

/** How the caller proved who they are. */
export type CredentialKind = 'bearer' | 'basic' | 'session';

/** A caller identified, and by what. */
export interface Caller {
  identity: Identity;
  via: CredentialKind;
}

/** What identifies callers: API tokens (Bearer, Basic) and browser sessions (cookie). */
export interface IdentitySources {
  authenticator: Authenticator;
  sessions: BrowserSessions;
}

const challenge = 'Bearer realm="plz"';

/** The value of the session cookie, or undefined when the request has none. */
export function sessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parseCookies(header)[sessionCookieName] || undefined;
}

/**
 * Identifies the caller of `req` from, in this order: `Authorization: Bearer <token>`;
 * `Authorization: Basic` with the user's name and a token of theirs as password (what MLflow's
 * clients send with MLFLOW_TRACKING_USERNAME/PASSWORD, RFC 7617); the `plz_session` cookie. An
 * Authorization header, when present, decides alone (a bad one is not saved by a cookie).
 *
 * @returns the caller, or null when the request carries no credential at all.
 * @throws AppError `unauthenticated` (with `www-authenticate`, the challenge to send) when a
 *   credential is malformed, unknown, revoked, expired, or its user disabled.
 */
export async function identifyRequest(req: Request, sources: IdentitySources): Promise<Caller | null> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const bearer = /^Bearer +(\S+) *$/i.exec(header);
    if (bearer) {
      const identity = await sources.authenticator.identify(bearer[1]!);
      if (!identity) throw refused('the token is unknown, revoked or expired, or its user is disabled', 'invalid_token');
      return { identity, via: 'bearer' };
    }
    const basic = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw refused('Basic credentials must be "<user name>:<token>"');
      const identity = await sources.authenticator.identify(decoded.slice(colon + 1));
      if (!identity || identity.name !== decoded.slice(0, colon)) {
        throw refused('the user name and token do not match a valid token of that user');
      }
      return { identity, via: 'basic' };
    }
    throw refused('the Authorization header must be "Bearer <token>" or Basic with the user name and a token');
  }
  const cookie = sessionCookie(req);
  if (cookie !== undefined) {
    const identity = await sources.sessions.identify(cookie);
    if (!identity) throw refused('the browser session has ended or expired: log in again');
    return { identity, via: 'session' };
  }
  return null;
}

/** `unauthenticated` with the Bearer challenge to send (RFC 6750 §3). */
function refused(message: string, error?: string): AppError {
  return new AppError('unauthenticated', message, undefined, { 'www-authenticate': error ? `${challenge}, error="${error}"` : challenge });
}

/** The challenge of a request that carried no credential. */
export function missingCredential(message: string): AppError {
  return new AppError('unauthenticated', message, undefined, { 'www-authenticate': challenge });
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin this deployment is reached at by this request: scheme (X-Forwarded-Proto) and host with port (X-Forwarded-Host, else Host). */
export function ownOrigin(req: Request): string | null {
  const host = (req.get('x-forwarded-host') ?? req.get('host'))?.split(',')[0]?.trim();
  return host ? `${req.protocol}://${host}`.toLowerCase() : null;
}

/**
 * Refuses a state-changing request (`method` not GET, HEAD or OPTIONS) authenticated by the
 * session cookie unless it comes from this deployment's own pages: `Sec-Fetch-Site: same-origin`,
 * or an `Origin` (else `Referer`) of the same scheme, host and port. SameSite=Lax already keeps
 * the cookie off cross-site POSTs in current browsers; this covers sibling sites on the same host
 * (another port) and older browsers. Bearer and Basic callers are not concerned: browsers never add
 * those headers by themselves.
 *
 * @throws AppError `forbidden` naming the origin refused.
 */
export function checkSameOrigin(req: Request, method: string, via: CredentialKind): void {
  if (via !== 'session' || safeMethods.has(method.toUpperCase())) return;
  const site = req.get('sec-fetch-site');
  if (site === 'same-origin') return;
  const own = ownOrigin(req);
  let from = req.get('origin');
  if (!from) {
    const referer = req.get('referer');
    try {
      from = referer ? new URL(referer).origin : undefined;
    } catch {
      from = undefined;
    }
  }
  if (own && from && from.toLowerCase() === own && site !== 'cross-site' && site !== 'same-site') return;
  throw new AppError('forbidden', `a ${method.toUpperCase()} with the session cookie must come from this deployment's own pages (${own ?? 'unknown origin'}), not from ${from ?? 'an unknown origin'}`);
}

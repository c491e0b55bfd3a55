import type { Identity } from '@plz/contracts';
import { serialize } from 'cookie';
import express, { type Request, type Response, type Router } from 'express';
import { checkSameOrigin, sessionCookie, sessionCookieName } from '../http/credentials.js';
import type { Services } from '../runtime.js';
import { safeNextPath } from '../services/access/next-path.js';
import { linkRefusedPage, loginPage, logoutPage } from '../pages/login.js';

/** Form bodies of the login and logout pages: small, flat. */
const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });

/** The first value of a query or form field given as text. */
function field(value: unknown): string {
  if (Array.isArray(value)) return field(value[0]);
  return typeof value === 'string' ? value : '';
}

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set('cache-control', 'no-store').type('html').send(html);
}

/**
 * Opens a browser session for `identity` and sets its cookie: HttpOnly, SameSite=Lax, path `/`,
 * Secure when the request came over HTTPS (NGINX's X-Forwarded-Proto), lasting the session's TTL.
 */
async function logIn(services: Services, req: Request, res: Response, identity: Identity): Promise<void> {
  const session = await services.sessions.open(identity);
  res.append(
    'set-cookie',
    serialize(sessionCookieName, session.cookieValue, {
      httpOnly: true,
      secure: req.secure,
      sameSite: 'lax',
      path: '/',
      expires: session.expiresAt,
      maxAge: Math.floor(services.sessions.ttlMs / 1000),
    }),
  );
}

/**
 * The browser's pages of plz's identity: `GET /login` (the form), `POST /login` (user name and
 * token: a session cookie, then a 303 to `next`), `GET /login/link/<code>` (a one-time link of
 * `plz ui`), `GET /logout` (a button) and `POST /logout` (ends the session). `next` is always a
 * path on this deployment (safeNextPath). Posts must come from the deployment's own pages.
 */
export function pageRoutes(services: Services): Router {
  const router = express.Router();

  router.get('/login', (req, res) => {
    sendPage(res, 200, loginPage(safeNextPath(field(req.query['next']))));
  });

  router.post('/login', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(field(body['next']));
    const user = field(body['user']).trim();
    checkSameOrigin(req, 'POST', 'session');
    const identity = await services.authenticator.identify(field(body['token']).trim());
    if (!identity || identity.name !== user) {
      req.log.info({ user }, 'login refused');
      sendPage(res, 401, loginPage(next, 'The user name and token do not match a valid token of that user (unknown, revoked or expired token, or a disabled user).', user));
      return;
    }
    await logIn(services, req, res, identity);
    req.log.info({ user }, 'logged in');
    res.redirect(303, next);
  });

  router.get('/login/link/:code', async (req, res) => {
    const found = await services.sessions.consumeLink(field(req.params['code']));
    if (!found) {
      sendPage(res, 410, linkRefusedPage());
      return;
    }
    await logIn(services, req, res, found.identity);
    req.log.info({ user: found.identity.name }, 'logged in with a one-time link');
    res.set('cache-control', 'no-store').redirect(303, found.next);
  });

  router.get('/logout', async (req, res) => {
    const cookie = sessionCookie(req);
    const identity = cookie ? await services.sessions.identify(cookie) : null;
    sendPage(res, 200, logoutPage(identity?.name ?? null));
  });

  router.post('/logout', form, async (req, res) => {
    checkSameOrigin(req, 'POST', 'session');
    const cookie = sessionCookie(req);
    if (cookie) await services.sessions.close(cookie);
    res.append('set-cookie', serialize(sessionCookieName, '', { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/', maxAge: 0 }));
    res.redirect(303, '/login');
  });

  return router;
}

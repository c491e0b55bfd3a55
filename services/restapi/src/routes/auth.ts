import { LoginLink, LoginLinkRequest } from '@plz/contracts';
import type { Request } from 'express';
import { AppError } from '../errors.js';
import { checkSameOrigin, identifyRequest, missingCredential } from '../http/credentials.js';
import { errorBody, toAppError } from '../http/error-handler.js';
import { caller, route, type AnyRoute, type Reply } from '../http/route.js';
import type { Services } from '../runtime.js';
import { mlflowPermission } from '../services/access/mlflow-policy.js';
import { safeNextPath } from '../services/access/next-path.js';
import { errors } from './schemas.js';

/**
 * True when the original request is a browser opening a page: a GET (or HEAD) asking for HTML,
 * with no Authorization header. Those get the login page instead of a bare 401.
 */
function wantsLoginPage(req: Request, method: string): boolean {
  return (method === 'GET' || method === 'HEAD') && req.headers.authorization === undefined && /\btext\/html\b/.test(req.get('accept') ?? '');
}

/** MLflow's error codes for our refusals (mlflow/protos/databricks.proto), so that its clients name them. */
const mlflowErrorCodes: Partial<Record<AppError['code'], string>> = { unauthenticated: 'UNAUTHENTICATED', forbidden: 'PERMISSION_DENIED' };

/**
 * A refusal as NGINX's auth_request reads it: the status, and headers it copies into its own
 * answer. The body NGINX answers with (X-Plz-Error) is plz's JSON error with MLflow's
 * `error_code` and `message` beside it, which MLflow's clients show (`PERMISSION_DENIED: ...`).
 */
function refusal(error: AppError, login: string | null): Reply {
  const body = { error_code: mlflowErrorCodes[error.code] ?? 'INTERNAL_ERROR', message: error.message, ...errorBody(error) };
  const headers: Record<string, string> = { 'x-plz-error': JSON.stringify(body), ...error.headers };
  if (login) headers['x-plz-login'] = login;
  return { status: error.status, headers };
}

/** The identity check NGINX asks before proxying (auth_request), and the browser login links of `plz ui`. */
export function authRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/auth/check',
      tag: 'auth',
      summary: 'Identity check for NGINX auth_request (what /mlflow/ asks before every request)',
      description: [
        'Identifies the caller by Bearer token, Basic (user name and token) or the browser session cookie, and decides',
        "the original request's permission from `X-Original-Method` and `X-Original-URI` (set by NGINX): under",
        '`/mlflow/`, reading and tagging are for every user, every other write for admins. 204 with `X-Plz-User` and',
        '`X-Plz-Role`; 401 or 403 with `X-Plz-Error` (the JSON error body NGINX answers with) and, for a browser',
        'opening a page, `X-Plz-Login` (where NGINX redirects it). Identities are remembered for AUTH_CACHE_SECONDS.',
      ].join(' '),
      access: 'public',
      responses: { 204: { description: 'Allowed' }, 401: { description: 'No valid identity' }, 403: { description: 'Not allowed for this identity' } },
      handle: async ({ req }) => {
        const method = (req.get('x-original-method') ?? 'GET').toUpperCase();
        const uri = req.get('x-original-uri') ?? '/';
        try {
          const found = await identifyRequest(req, services);
          if (!found) throw missingCredential('this needs a plz identity: log in at /login, or send a token (Authorization: Bearer <token>, or Basic with your user name and token)');
          checkSameOrigin(req, method, found.via);
          const permission = mlflowPermission(method, uri);
          if (permission === 'admin' && found.identity.role !== 'admin') {
            throw new AppError('forbidden', `${method} ${uri.split('?')[0]} is for admins: users may read, search and tag runs and experiments through /mlflow/`);
          }
          return { status: 204, headers: { 'x-plz-user': found.identity.name, 'x-plz-role': found.identity.role } };
        } catch (error) {
          const appError = toAppError(error);
          if (appError.status >= 500) throw error;
          const login = appError.code === 'unauthenticated' && wantsLoginPage(req, method) ? `/login?next=${encodeURIComponent(safeNextPath(uri))}` : null;
          return refusal(appError, login);
        }
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/auth/login-links',
      tag: 'auth',
      summary: 'A one-time link that logs a browser in as the caller (`plz ui`): works once, for 60 s',
      access: 'user',
      body: LoginLinkRequest,
      responses: { 201: { description: 'The link, relative to the deployment', schema: LoginLink }, ...errors(400, 401, 415) },
      handle: async (context) => ({ status: 201, body: await services.sessions.createLink(caller(context), context.body.next) }),
    }),
  ];
}


import { existsSync } from 'node:fs';
import path from 'node:path';
import { RerunRequest, type Identity } from '@plz/contracts';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { toAppError } from '../http/error-handler.js';
import { checkSameOrigin, identifyRequest, ownOrigin, type Caller } from '../http/credentials.js';
import { pipeToResponse } from '../http/streaming.js';
import { assetVersion, icon, pageScript, styleSheet } from '../pages/assets.js';
import { executionPage, executionsPage, listQuery, type ExecutionView, type ListFilters } from '../pages/executions.js';
import { landingPage } from '../pages/landing.js';
import { problemPage } from '../pages/layout.js';
import { sweepPage, sweepsPage } from '../pages/sweeps.js';
import { workersPage } from '../pages/workers.js';
import type { Services } from '../runtime.js';
import { ListQuery } from '../services/executions/queries.js';
import { plzVersion } from '../version.js';
import { IdParams, OutputPath } from './schemas.js';

/**
 * Headers of every page: no script, style or connection but the deployment's own (the page script
 * and style sheet are files, so no inline code is needed), no framing, no caching of pages that
 * carry a user's data. Sources: CSP Level 3 (W3C), X-Content-Type-Options (Fetch standard).
 */
const pageHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Form bodies of the Stop and Rerun buttons: small and flat (parameters are at most 64 KiB of JSON). */
const form = express.urlencoded({ extended: false, limit: '96kb', parameterLimit: 10 });

/** Page filters: the list API's query (ListQuery), with the empty fields of a GET form left out. */
const filterFields = ['project', 'user', 'state', 'sweep_id'] as const;

/** `?sort=&dir=` of the sweep page. */
const SortQuery = z.object({ sort: z.string().min(1).max(300).optional(), dir: z.enum(['asc', 'desc']).default('asc') });

/** The first value of a query or form field given as text. */
function field(value: unknown): string {
  if (Array.isArray(value)) return field(value[0]);
  return typeof value === 'string' ? value : '';
}

function send(res: Response, status: number, page: string): void {
  res.status(status).set(pageHeaders).type('html').send(page);
}

/** The caller of a page request, or null (no credential, or one that no longer holds: an expired session). */
async function callerOf(services: Services, req: Request): Promise<Caller | null> {
  try {
    return await identifyRequest(req, services);
  } catch (error) {
    if (error instanceof AppError && error.code === 'unauthenticated') return null;
    throw error;
  }
}

type PageHandler = (req: Request, res: Response, caller: Caller) => Promise<void>;

/**
 * A page that needs an identity: without one (or with an ended session), a 303 to the login page
 * that comes back here; a state-changing request must come from the deployment's own pages
 * (checkSameOrigin). An AppError becomes a page saying what went wrong, with its status.
 */
function page(services: Services, handler: PageHandler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const caller = await callerOf(services, req);
    if (!caller) {
      const back = req.method === 'GET' ? req.originalUrl : '/executions';
      res.set('cache-control', 'no-store').redirect(303, `/login?next=${encodeURIComponent(back)}`);
      return;
    }
    try {
      checkSameOrigin(req, req.method, caller.via);
      await handler(req, res, caller);
    } catch (error) {
      const appError = toAppError(error);
      if (res.headersSent || appError.status >= 500) {
        next(error);
        return;
      }
      send(res, appError.status, problemPage({ title: titleOf(appError), identity: caller.identity }, appError.message));
    }
  };
}

/** The `{id}` of a page path. @throws AppError `not_found` for text that is not an id (a UUID). */
function idOf(req: Request): string {
  const parsed = IdParams.safeParse({ id: req.params['id'] });
  if (!parsed.success) throw new AppError('not_found', `there is nothing at ${req.path}: ${field(req.params['id'])} is not an execution or sweep id`);
  return parsed.data.id;
}

function titleOf(error: AppError): string {
  if (error.status === 404) return 'Not found';
  if (error.status === 403) return 'Not allowed';
  if (error.status === 409) return 'Not now';
  return 'Cannot show this';
}

/** Filters of the executions page from its query (`state` one value; empty fields mean none). */
function listFilters(req: Request): ListFilters {
  return Object.fromEntries(filterFields.map((name) => [name, field(req.query[name]).trim()])) as unknown as ListFilters;
}

/** The notice of an execution page after a Stop (`?stopped=1` or `?signalled=1`). */
function stopNotice(req: Request): ExecutionView['notice'] {
  if (req.query['stopped'] !== undefined) return { kind: 'notice', text: 'Stopped.' };
  if (req.query['signalled'] !== undefined) return { kind: 'notice', text: 'Its worker was asked to stop it; the state changes within seconds.' };
  return undefined;
}

async function executionView(services: Services, id: string, identity: Identity): Promise<ExecutionView> {
  const execution = await services.queries.get(id);
  const [status, log, outputs] = await Promise.all([
    execution.state === 'queued' ? services.queries.status(id, true) : null,
    services.logs.tailOf(execution),
    services.outputs.listOf(execution, 200),
  ]);
  return { identity, execution, position: status?.queue_position ?? null, log, outputs: outputs.files, moreOutputs: outputs.more };
}

/**
 * The web view (issue 16), server-rendered, readable without script: `/` (the Start page, or the
 * executions for a logged-in browser), `/start`, `/executions` (filters, pages by key), one
 * execution (`/executions/{id}`, with Stop and Rerun forms posting to `.../stop` and `.../rerun`,
 * and its output files one by one under `.../output/<path>`), `/sweeps`, `/sweeps/{id}` and
 * `/workers`; and their style sheet and script under `/static/`. Pages need a plz identity (the
 * browser session of /login, or a token) and read through the same services as the REST API, so
 * they show and allow what the API does.
 */
export function webRoutes(services: Services, options: { cliPackage?: string } = {}): Router {
  const router = express.Router();
  const cliFile = options.cliPackage ? path.resolve(options.cliPackage) : undefined;

  const asset = (type: string, body: string) => (req: Request, res: Response) => {
    const versioned = field(req.query['v']) === assetVersion;
    res.set('x-content-type-options', 'nosniff').set('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache').type(type).send(body);
  };
  router.get('/static/plz.css', asset('text/css; charset=utf-8', styleSheet));
  router.get('/static/plz.js', asset('text/javascript; charset=utf-8', pageScript));
  router.get(['/static/plz.svg', '/favicon.ico'], asset('image/svg+xml', icon));

  const start = async (req: Request, res: Response) => {
    const caller = await callerOf(services, req);
    if (caller && req.path === '/') {
      res.set('cache-control', 'no-store').redirect(303, '/executions');
      return;
    }
    send(res, 200, landingPage(ownOrigin(req) ?? '', plzVersion, cliFile !== undefined && existsSync(cliFile), caller?.identity ?? null));
  };
  router.get('/', start);
  router.get('/start', start);

  router.get(
    '/executions',
    page(services, async (req, res, { identity }) => {
      const filters = listFilters(req);
      const given = Object.fromEntries(Object.entries({ ...filters, cursor: field(req.query['cursor']) }).filter(([, value]) => value !== ''));
      const parsed = ListQuery.safeParse(given);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'filter'}: ${issue.message}`).join('; ');
        throw new AppError('bad_request', `These filters cannot be used: ${problems}.`);
      }
      const list = await services.queries.list(parsed.data, { measures: false }); // the page shows no measures
      send(
        res,
        200,
        executionsPage({
          identity,
          filters,
          executions: list.executions,
          olderQuery: list.next_cursor ? listQuery(filters, list.next_cursor) : null,
          paged: parsed.data.cursor !== undefined,
        }),
      );
    }),
  );

  router.get(
    '/executions/:id',
    page(services, async (req, res, { identity }) => {
      const id = idOf(req);
      send(res, 200, executionPage({ ...(await executionView(services, id, identity)), notice: stopNotice(req) }));
    }),
  );

  router.post(
    '/executions/:id/stop',
    form,
    page(services, async (req, res, { identity }) => {
      const id = idOf(req);
      const result = await services.stopper.stop(id, identity);
      req.log.info({ execution: id, outcome: result.outcome }, 'stopped from the web view');
      res.redirect(303, `/executions/${id}?${result.outcome === 'stopped' ? 'stopped' : 'signalled'}=1`);
    }),
  );

  router.post(
    '/executions/:id/rerun',
    form,
    page(services, async (req, res, { identity }) => {
      const id = idOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const text = field(body['parameters']);
      const name = field(body['name']).trim();
      let problem: string | undefined;
      let request: RerunRequest | undefined;
      try {
        const parsed = RerunRequest.safeParse({ parameters: text.trim() === '' ? {} : (JSON.parse(text) as unknown), ...(name ? { name } : {}) });
        if (parsed.success) request = parsed.data;
        else problem = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'parameters'}: ${issue.message}`).join('; ');
      } catch (error) {
        problem = `the parameters are not JSON: ${(error as Error).message}`;
      }
      if (!request) {
        const view = await executionView(services, id, identity);
        send(res, 400, executionPage({ ...view, notice: { kind: 'error', text: `Not rerun: ${problem ?? 'invalid form'}.` }, rerunText: text }));
        return;
      }
      const execution = await services.rerun(id, request, identity);
      req.log.info({ execution: execution.id, rerun_of: id }, 'rerun from the web view');
      res.redirect(303, `/executions/${execution.id}`);
    }),
  );

  router.get(
    '/executions/:id/output/*file',
    page(services, async (req, res) => {
      const id = idOf(req);
      const parts = (req.params as Record<string, unknown>)['file'];
      const parsed = OutputPath.safeParse(Array.isArray(parts) ? parts.join('/') : field(parts));
      if (!parsed.success) throw new AppError('bad_request', 'expected a file path inside the output, e.g. models/best.pt');
      const file = await services.outputs.file(id, parsed.data);
      // Always a download, never rendered here: an HTML file of a job must not run as this site's page.
      res.status(200).attachment(file.name);
      res.set({ 'content-type': 'application/octet-stream', 'content-length': String(file.size), 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'no-store' });
      await pipeToResponse(file.body, res);
    }),
  );

  router.get(
    '/workers',
    page(services, async (_req, res, { identity }) => {
      const [overview, queues] = await Promise.all([services.workers.overview(), services.queues.queues()]);
      send(res, 200, workersPage({ identity, workers: overview.workers, queues }));
    }),
  );

  router.get(
    '/sweeps',
    page(services, async (req, res, { identity }) => {
      const project = field(req.query['project']).trim();
      if (project.length > 100) throw new AppError('bad_request', 'a project name has at most 100 characters');
      send(res, 200, sweepsPage(identity, await services.sweeps.list(project || undefined, 100), project));
    }),
  );

  router.get(
    '/sweeps/:id',
    page(services, async (req, res, { identity }) => {
      const id = idOf(req);
      const sort = SortQuery.safeParse({ sort: field(req.query['sort']) || undefined, dir: field(req.query['dir']) || undefined });
      if (!sort.success) throw new AppError('bad_request', 'sort by a column of the table, dir asc or desc');
      const { sweep, executions } = await services.sweeps.detail(id);
      send(res, 200, sweepPage(identity, sweep, executions, sort.data.sort ? { column: sort.data.sort, descending: sort.data.dir === 'desc' } : null));
    }),
  );

  return router;
}

import { z } from 'zod';
import { openApiDocument } from '../openapi/document.js';
import { route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { authRoutes } from './auth.js';
import { snapshotAndInputRoutes } from './blobs.js';
import { executionRoutes } from './executions.js';
import { healthRoutes } from './health.js';
import { resultRoutes } from './results.js';
import { sweepRoutes } from './sweeps.js';
import { userRoutes } from './users.js';
import { workerRoutes } from './workers.js';
import { plzVersion } from '../version.js';

/** Version reported in the OpenAPI document. */
export const apiVersion = '1.0.0';

const VersionBody = z.object({ version: z.string() });

/** Every route of the API, the OpenAPI document's own route included. */
export function apiRoutes(services: Services): AnyRoute[] {
  const routes: AnyRoute[] = [
    ...healthRoutes(services),
    ...authRoutes(services),
    ...userRoutes(services),
    ...snapshotAndInputRoutes(services),
    ...executionRoutes(services),
    ...resultRoutes(services),
    ...sweepRoutes(services),
    ...workerRoutes(services),
  ];
  let document: unknown;
  routes.push(
    route({
      method: 'get',
      path: '/api/v1/version',
      tag: 'docs',
      summary: "The deployment's plz version (the CLI warns when its own differs)",
      access: 'public',
      responses: { 200: { description: 'The version', schema: VersionBody } },
      handle: async () => ({ status: 200, body: { version: plzVersion } }),
    }),
    route({
      method: 'get',
      path: '/api/v1/openapi.json',
      tag: 'docs',
      summary: 'This OpenAPI 3.1 document (public, like the docs page at /api/docs/)',
      access: 'public',
      responses: { 200: { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
      handle: async () => {
        document ??= openApiDocument(routes, apiVersion);
        return { status: 200, body: document };
      },
    }),
  );
  return routes;
}

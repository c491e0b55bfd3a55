import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';

const Health = z.object({ status: z.literal('ok') });
const ReadinessBody = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.string()) });

/** Liveness (`/health`: the process answers) and readiness (`/ready`: PostgreSQL, Redis and MinIO answer). */
export function healthRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/health',
      tag: 'health',
      summary: 'Liveness: the process answers',
      access: 'public',
      responses: { 200: { description: 'Alive', schema: Health } },
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    route({
      method: 'get',
      path: '/ready',
      tag: 'health',
      summary: 'Readiness: PostgreSQL, Redis and the MinIO buckets are reachable',
      access: 'public',
      responses: {
        200: { description: 'Every dependency answers', schema: ReadinessBody },
        503: { description: 'Some dependency does not answer; `checks` says which', schema: ReadinessBody },
      },
      handle: async () => {
        const readiness = await services.readiness();
        return { status: readiness.ok ? 200 : 503, body: { status: readiness.ok ? 'ready' : 'not_ready', checks: readiness.checks } };
      },
    }),
  ];
}

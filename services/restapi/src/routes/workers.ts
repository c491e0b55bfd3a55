import { WorkersResponse } from '@plz/contracts';
import { route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { errors } from './schemas.js';

/** Live workers and queue lengths. */
export function workerRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/v1/workers',
      tag: 'workers',
      summary: 'Live workers (from their heartbeats) and the length of each queue',
      access: 'user',
      responses: { 200: { description: 'Workers and queues', schema: WorkersResponse }, ...errors(401) },
      handle: async () => ({ status: 200, body: await services.workers.overview() }),
    }),
  ];
}

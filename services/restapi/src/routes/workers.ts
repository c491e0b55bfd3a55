import { QueuesResponse, WorkersResponse } from '@plz/contracts';
import { route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { errors } from './schemas.js';

/** Live workers, queue lengths and the queues' shares. */
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
    route({
      method: 'get',
      path: '/api/v1/queues',
      tag: 'workers',
      summary: "Each queue's waiting executions per user, their use and who goes next (fair share)",
      description:
        'Per queue: live workers, waiting and held executions, and per user the waiting executions by priority, those held by workers, ' +
        'the use of the queue\'s workers in the fair-share window as the dispatcher counts it, and the position of their next execution.',
      access: 'user',
      responses: { 200: { description: 'Queues and the fair-share settings', schema: QueuesResponse }, ...errors(401) },
      handle: async () => ({ status: 200, body: await services.queues.queues() }),
    }),
  ];
}

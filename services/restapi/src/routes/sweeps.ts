import { SweepCreated, SweepSpec, SweepStatus, SweepStopResult, SweepSummary } from '@plz/contracts';
import { z } from 'zod';
import { pipeToResponse } from '../http/streaming.js';
import { caller, route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { errors, IdParams } from './schemas.js';

const SweepListQuery = z
  .object({
    project: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

/** Sweeps: many executions of one spec, one per parameter set. */
export function sweepRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/v1/sweeps',
      tag: 'sweeps',
      summary: 'Submit a sweep: one execution per parameter set',
      description:
        '`parameters` is a list of parameter objects, or a grid (an object whose values are arrays) expanded into its cartesian product; at most 1000 executions. ' +
        'The snapshot, input and worker checks are those of a single execution.',
      access: 'user',
      body: SweepSpec,
      responses: { 201: { description: 'Queued', schema: SweepCreated }, ...errors(400, 401, 409, 415, 422) },
      handle: async (context) => {
        const created = await services.sweeps.create(context.body, caller(context));
        return { status: 201, body: created, headers: { Location: `/api/v1/sweeps/${created.id}` } };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/sweeps',
      tag: 'sweeps',
      summary: 'List sweeps, newest first',
      access: 'user',
      query: SweepListQuery,
      responses: { 200: { description: 'Sweeps', schema: z.object({ sweeps: z.array(SweepSummary) }) }, ...errors(400, 401) },
      handle: async ({ query }) => ({ status: 200, body: { sweeps: await services.sweeps.list(query.project, query.limit) } }),
    }),
    route({
      method: 'get',
      path: '/api/v1/sweeps/:id',
      tag: 'sweeps',
      summary: 'A sweep and the state of each of its executions',
      access: 'user',
      params: IdParams,
      responses: { 200: { description: 'The sweep', schema: SweepStatus }, ...errors(400, 401, 404) },
      handle: async ({ params }) => ({ status: 200, body: await services.sweeps.status(params.id) }),
    }),
    route({
      method: 'post',
      path: '/api/v1/sweeps/:id/stop',
      tag: 'sweeps',
      summary: 'Stop every execution of a sweep that is not over (its owner or an admin)',
      access: 'user',
      params: IdParams,
      responses: { 200: { description: 'One result per execution stopped or signalled', schema: SweepStopResult }, ...errors(400, 401, 403, 404) },
      handle: async (context) => ({ status: 200, body: await services.sweeps.stop(context.params.id, caller(context)) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/sweeps/:id/output',
      tag: 'sweeps',
      summary: "The sweep's output files as one tar stream, a folder per execution id",
      access: 'user',
      params: IdParams,
      responses: { 200: { description: 'A tar archive', contentType: 'application/x-tar' }, ...errors(400, 401, 404) },
      handle: async ({ params, res }) => {
        const tar = await services.sweeps.output(params.id);
        res.status(200);
        res.setHeader('Content-Type', 'application/x-tar');
        res.setHeader('Content-Disposition', `attachment; filename="sweep-${params.id}-output.tar"`);
        await pipeToResponse(tar, res);
      },
    }),
  ];
}

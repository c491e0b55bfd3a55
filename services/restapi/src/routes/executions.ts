import { ExecutionList, ExecutionRecord, ExecutionSpec, ExecutionStatus, RerunRequest, SetPriorityRequest, StopResult } from '@plz/contracts';
import { caller, route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import { ListQuery } from '../services/executions/queries.js';
import { z } from 'zod';
import { errors, Flag, IdParams } from './schemas.js';

/** Query of `GET /api/v1/executions/{id}/status`. */
const StatusQuery = z.object({ position: Flag.default(false) }).strict();

/** Submit, list, describe, poll, stop, reprioritise and rerun executions. */
export function executionRoutes(services: Services): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/v1/executions',
      tag: 'executions',
      summary: 'Submit an execution',
      description:
        'Records the execution (state `queued`) and enqueues it on the queue matching `resources.gpus` (cpu, gpu, gpu-x2, ...). ' +
        'Refused when the snapshot or input is not stored (422), or when no live worker serves that queue (409) unless `queue_without_worker` is true. ' +
        'With `reuse: true`, when the caller has an earlier succeeded execution with the same snapshot, input, parameters, resources and `max_run_seconds` ' +
        '(matched by a key stored at submission), the new execution is recorded `succeeded` at once with `reused_from` naming that one, ' +
        'its exit code, measures, summary, output and log, and nothing is queued (no worker needed); otherwise it is queued as usual. ' +
        "Only the caller's own executions are reused. Off by default: jobs may be nondeterministic.",
      access: 'user',
      body: ExecutionSpec,
      responses: { 201: { description: 'Queued (or, with `reuse`, succeeded at once with `reused_from`)', schema: ExecutionRecord }, ...errors(400, 401, 409, 415, 422) },
      handle: async (context) => {
        const execution = await services.submitter.submit(context.body, caller(context));
        return { status: 201, body: execution, headers: { Location: `/api/v1/executions/${execution.id}` } };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/executions',
      tag: 'executions',
      summary: 'List executions, newest first',
      description: 'Filters combine with AND; `state` takes a comma-separated list. Pass `next_cursor` back as `cursor` for the next page.',
      access: 'user',
      query: ListQuery,
      responses: { 200: { description: 'A page of executions', schema: ExecutionList }, ...errors(400, 401) },
      handle: async ({ query }) => ({ status: 200, body: await services.queries.list(query) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/executions/:id',
      tag: 'executions',
      summary: 'Describe an execution',
      access: 'user',
      params: IdParams,
      responses: { 200: { description: 'The execution', schema: ExecutionRecord }, ...errors(400, 401, 404) },
      handle: async ({ params }) => ({ status: 200, body: await services.queries.get(params.id) }),
    }),
    route({
      method: 'get',
      path: '/api/v1/executions/:id/status',
      tag: 'executions',
      summary: "An execution's state (cheap; for polling)",
      description: 'With `position=true`, a queued execution\'s place in its queue, who is ahead and an estimated start (`queue_position`; it reads the whole queue, so pollers leave it out).',
      access: 'user',
      params: IdParams,
      query: StatusQuery,
      responses: { 200: { description: 'Its status', schema: ExecutionStatus }, ...errors(400, 401, 404) },
      handle: async ({ params, query }) => ({ status: 200, body: await services.queries.status(params.id, query.position) }),
    }),
    route({
      method: 'post',
      path: '/api/v1/executions/:id/stop',
      tag: 'executions',
      summary: 'Stop an execution (its owner or an admin)',
      description: 'A queued execution is removed from its queue and marked stopped (200); a running one is signalled to its worker (202), or marked stopped (200) when its worker sends no heartbeat any more.',
      access: 'user',
      params: IdParams,
      responses: {
        200: { description: 'Stopped here: it was queued, or its worker is gone', schema: StopResult },
        202: { description: 'Signalled to its worker', schema: StopResult },
        ...errors(400, 401, 403, 404, 409),
      },
      handle: async (context) => {
        const result = await services.stopper.stop(context.params.id, caller(context));
        return { status: result.outcome === 'stopped' ? 200 : 202, body: result };
      },
    }),
    route({
      method: 'put',
      path: '/api/v1/executions/:id/priority',
      tag: 'executions',
      summary: "Change a queued execution's priority (its owner or an admin)",
      description: '`high` is for admins, or within the user\'s allowance of high-priority executions per fair-share window (403 `priority_not_allowed`). 409 `not_queued` once a worker took it.',
      access: 'user',
      params: IdParams,
      body: SetPriorityRequest,
      responses: { 200: { description: 'Its status, with its new place in the queue', schema: ExecutionStatus }, ...errors(400, 401, 403, 404, 409, 415) },
      handle: async (context) => {
        await services.priorities.set(context.params.id, context.body.priority, caller(context));
        return { status: 200, body: await services.queries.status(context.params.id, true) };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/executions/:id/rerun',
      tag: 'executions',
      summary: 'Run an execution again with the same snapshot and input',
      description: 'Parameters, name and tags are replaced when given (parameters as a whole); the new execution records `rerun_of`.',
      access: 'user',
      params: IdParams,
      body: RerunRequest,
      responses: { 201: { description: 'Queued', schema: ExecutionRecord }, ...errors(400, 401, 404, 409, 415, 422) },
      handle: async (context) => {
        const execution = await services.rerun(context.params.id, context.body, caller(context));
        return { status: 201, body: execution, headers: { Location: `/api/v1/executions/${execution.id}` } };
      },
    }),
  ];
}

import { z } from 'zod';
import type { AnyRoute } from '../http/route.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) of a zod schema, request or response side. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** Converts an Express path (`/executions/:id`) to an OpenAPI path template (`/executions/{id}`). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

function operation(route: AnyRoute): JsonSchema {
  const access = route.access === 'admin' ? ' Admins only.' : '';
  const op: JsonSchema = {
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description || access ? { description: `${route.description ?? ''}${access}`.trim() } : {}),
    security: route.access === 'public' ? [] : [{ bearerToken: [] }],
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, doc]) => {
        const contentType = doc.contentType ?? (doc.schema ? 'application/json' : undefined);
        const content = contentType ? { [contentType]: doc.schema ? { schema: jsonSchema(doc.schema, 'output') } : {} } : undefined;
        return [status, { description: doc.description, ...(content ? { content } : {}) }];
      }),
    ),
  };
  if (route.body) op['requestBody'] = { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };
  if (route.rawBody) {
    op['requestBody'] = { required: true, description: route.rawBody.description, content: { [route.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } };
  }
  return op;
}

/**
 * The OpenAPI 3.1 document of the given routes, generated from the same declarations Express
 * registers (paths, parameters, bodies and answers come from their zod schemas).
 */
export function openApiDocument(routes: readonly AnyRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'plz REST API',
      version,
      description:
        'Submit machine-learning jobs to your own GPU host and keep every run: snapshots, inputs, executions, logs, outputs, measures, history, sweeps, workers. ' +
        'Every operation but /health and /ready needs `Authorization: Bearer <token>`. Errors are `{"error": {"code", "message", "details"?}}`.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}

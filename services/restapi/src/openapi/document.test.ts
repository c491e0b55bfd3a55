import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import { buildApp } from '../app.js';
import { createLogger } from '../logger.js';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { openApiPath } from './document.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 30_000);
afterAll(async () => api?.close());

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every `METHOD /path` Express has registered, found by walking its router (and the routers mounted in it). */
function registeredRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') found.push(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found.sort();
}

describe('the OpenAPI document', () => {
  it('documents exactly the routes Express serves', async () => {
    const app = buildApp(api.runtime.services, createLogger('silent'));
    // The docs page's own files, the login pages and the web view (HTML for browsers, its style sheet and script) and the CLI package are not API operations.
    const served = registeredRoutes(app)
      .filter((route) => !route.split(' ')[1]!.startsWith('/api/docs') && !/^\/(login|logout|downloads\/|start$|executions|sweeps|workers$|static\/|$)/.test(route.split(' ')[1]!))
      .map((route) => {
        const [method, path] = route.split(' ');
        return `${method} ${openApiPath(path!)}`;
      });
    const answer = await api.call('GET', '/api/v1/openapi.json');
    expect(answer.status).toBe(200);
    const document = answer.json as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    expect(served).toEqual(expect.arrayContaining(['GET /health', 'POST /api/v1/executions', 'GET /api/v1/executions/{id}/logs', 'PUT /api/v1/snapshots/{sha256}', 'HEAD /api/v1/inputs/{sha256}', 'PATCH /api/v1/users/{name}']));
  });

  it('describes every path parameter, body and answer', async () => {
    const document = (await api.call('GET', '/api/v1/openapi.json')).json as {
      paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }>; responses: Record<string, unknown>; security: unknown[]; operationId: string }>>;
    };
    const operationIds = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      for (const [method, operation] of Object.entries(operations)) {
        expect([method, path, operation.parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name).sort()]).toEqual([method, path, templated]);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        const isPublic = ['/health', '/ready', '/api/v1/openapi.json', '/api/v1/auth/check', '/api/v1/version'].includes(path);
        expect([path, operation.security.length]).toEqual([path, isPublic ? 0 : 1]);
        expect(operationIds.has(operation.operationId)).toBe(false);
        operationIds.add(operation.operationId);
      }
    }
    const submit = document.paths['/api/v1/executions']!['post'] as unknown as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> } };
    expect(Object.keys(submit.requestBody.content['application/json']!.schema.properties)).toEqual(expect.arrayContaining(['project', 'snapshot', 'resources', 'queue_without_worker']));
    expect(submit.requestBody.content['application/json']!.schema.additionalProperties).toBe(false);
    const update = document.paths['/api/v1/users/{name}']!['patch'] as unknown as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean } }> };
      responses: Record<string, { content?: Record<string, { schema: { properties: Record<string, unknown> } }> }>;
    };
    expect(update.requestBody.content['application/json']!.schema).toMatchObject({ required: ['high_priority_allowance'], additionalProperties: false });
    expect(Object.keys(update.responses).sort()).toEqual(['200', '400', '401', '403', '404', '415']);
    expect(Object.keys(update.responses['200']!.content!['application/json']!.schema.properties)).toContain('high_priority_allowance');
  });

  it('serves the Swagger UI page from the installed package', async () => {
    const redirect = await fetch(`${api.url}/api/docs`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/api/docs/']);
    const page = await api.call('GET', '/api/docs/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.text).toContain('swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    const bundle = await api.call('GET', '/api/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    const initializer = await api.call('GET', '/api/docs/swagger-initializer.js');
    expect(initializer.text).toContain("url: '../v1/openapi.json'");
    expect(initializer.text).not.toContain('petstore');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/harness.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 30_000);
afterAll(async () => api?.close());

describe('health', () => {
  it('answers /health and /ready without a token', async () => {
    expect((await api.call('GET', '/health')).json).toEqual({ status: 'ok' });
    const ready = await api.call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', redis_memory: 'ok', s3: 'ok' } });
  });

  it('reports Redis memory pressure in /ready (used memory past 90 % of maxmemory)', async () => {
    const [, before] = (await api.redis.config('GET', 'maxmemory')) as [string, string];
    const used = Number(/used_memory:(\d+)/.exec(await api.redis.info('memory'))![1]);
    try {
      await api.redis.config('SET', 'maxmemory', String(Math.ceil(used * 1.02)));
      const ready = await api.call('GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.json.checks.redis_memory).toMatch(/^memory pressure: \d+ of maxmemory \d+ bytes used \(\d+ %, policy /);
    } finally {
      await api.redis.config('SET', 'maxmemory', before);
    }
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });

  it('sets a request id, keeping a sane one given by the caller', async () => {
    expect((await api.call('GET', '/health')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api.call('GET', '/health', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    expect((await api.call('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id')).not.toBe('bad id with spaces');
  });
});

describe('authentication', () => {
  it('refuses a missing, malformed, unknown or revoked token with 401', async () => {
    const missing = await api.call('GET', '/api/v1/me');
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('unauthenticated');
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await api.call('GET', '/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/me', { token: 'plz_not-a-real-token' })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/executions', { token: 'x'.repeat(5000) })).status).toBe(401);
  });

  it('knows the bootstrap admin', async () => {
    const me = await api.call('GET', '/api/v1/me', { token: api.admin.token });
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ id: api.admin.identity.id, name: 'admin', role: 'admin' });
  });

  it('keeps the bootstrap idempotent', async () => {
    await api.runtime.services.bootstrapAdmin(api.admin.token);
    await api.runtime.services.bootstrapAdmin(api.admin.token);
    const tokens = await api.call('GET', '/api/v1/users/admin/tokens', { token: api.admin.token });
    expect(tokens.json.tokens).toHaveLength(1);
    await expect(api.runtime.services.bootstrapAdmin('short')).rejects.toThrow('too short');
  });
});

describe('users and tokens', () => {
  it('lets an admin create a user and a token that works at once, shown only once', async () => {
    const created = await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'alice' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'alice', role: 'user', disabled_at: null });
    const token = await api.call('POST', '/api/v1/users/alice/tokens', { token: api.admin.token, json: { name: 'laptop' } });
    expect(token.status).toBe(201);
    expect(token.json.token).toMatch(/^plz_[A-Za-z0-9_-]{43}$/);
    const me = await api.call('GET', '/api/v1/me', { token: token.json.token });
    expect(me.json).toMatchObject({ name: 'alice', role: 'user' });
    const listed = await api.call('GET', '/api/v1/users/alice/tokens', { token: api.admin.token });
    expect(listed.json.tokens).toEqual([expect.objectContaining({ id: token.json.id, name: 'laptop', user: 'alice', revoked_at: null })]);
    expect(listed.text).not.toContain(token.json.token);
    const stored = await api.runtime.db('tokens').where({ id: token.json.id }).first();
    expect(JSON.stringify(stored)).not.toContain(token.json.token);
  });

  it('revokes a token at once', async () => {
    const { token } = await api.user('bob');
    const tokens = await api.call('GET', '/api/v1/users/bob/tokens', { token: api.admin.token });
    const id = tokens.json.tokens[0].id;
    expect((await api.call('DELETE', `/api/v1/tokens/${id}`, { token: api.admin.token })).status).toBe(204);
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(401);
    expect((await api.call('DELETE', `/api/v1/tokens/${id}`, { token: api.admin.token })).status).toBe(404);
  });

  it('lists users for admins only', async () => {
    const { token } = await api.user('carol');
    const listed = await api.call('GET', '/api/v1/users', { token: api.admin.token });
    expect(listed.json.users.map((user: { name: string }) => user.name)).toEqual(expect.arrayContaining(['admin', 'carol']));
    for (const [method, path, json] of [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/users', { name: 'mallory' }],
      ['POST', '/api/v1/users/carol/tokens', { name: 'x' }],
      ['GET', '/api/v1/users/carol/tokens', undefined],
      ['DELETE', '/api/v1/tokens/8a0d7a6e-5f4b-4c1e-9d3a-2b1c0e9f8a7d', undefined],
    ] as const) {
      const answer = await api.call(method, path, { token, json });
      expect([path, answer.status, answer.json.error.code]).toEqual([path, 403, 'forbidden']);
    }
    expect(await api.runtime.db('users').where({ name: 'mallory' }).first()).toBeUndefined();
  });

  it('refuses duplicates, bad names, unknown fields and unknown users', async () => {
    await api.user('dave');
    const duplicate = await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'dave' } });
    expect([duplicate.status, duplicate.json.error.code]).toEqual([409, 'conflict']);
    const badName = await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'Dave Smith' } });
    expect(badName.status).toBe(400);
    expect(badName.json.error.details).toEqual([{ path: 'body.name', message: expect.stringContaining('lowercase') }]);
    const unknownField = await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'erin', admin: true } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.error.details).toEqual([{ path: 'body.admin', message: 'unknown field' }]);
    const badRole = await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'erin', role: 'root' } });
    expect(badRole.status).toBe(400);
    expect((await api.call('POST', '/api/v1/users/nobody/tokens', { token: api.admin.token, json: { name: 'x' } })).status).toBe(404);
    expect((await api.call('GET', '/api/v1/users/nobody/tokens', { token: api.admin.token })).status).toBe(404);
  });
});

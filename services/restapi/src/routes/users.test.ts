import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

let api: TestApi;
beforeAll(async () => {
  // The allowance tests below share this API rather than start their own: every test API takes one
  // of Redis's db indexes 1-15 (harness.ts), and this package's tests already start 15.
  api = await startTestApi({ fairShare: { high_priority_allowance: 1 } });
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
    expect(created.json).toMatchObject({ name: 'alice', role: 'user', disabled_at: null, high_priority_allowance: null });
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
      ['PATCH', '/api/v1/users/carol', { high_priority_allowance: 5 }],
      ['POST', '/api/v1/users/carol/tokens', { name: 'x' }],
      ['GET', '/api/v1/users/carol/tokens', undefined],
      ['DELETE', '/api/v1/tokens/8a0d7a6e-5f4b-4c1e-9d3a-2b1c0e9f8a7d', undefined],
    ] as const) {
      const answer = await api.call(method, path, { token, json });
      expect([path, answer.status, answer.json.error.code]).toEqual([path, 403, 'forbidden']);
    }
    expect(await api.runtime.db('users').where({ name: 'mallory' }).first()).toBeUndefined();
    expect(await api.runtime.db('users').where({ name: 'carol' }).first()).toMatchObject({ high_priority_allowance: null });
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

/**
 * `PATCH /api/v1/users/{name}`: an admin gives a user their own allowance of `high` executions per
 * fair-share window, and PriorityPolicy grants `high` by it (the deployment's HIGH_PRIORITY_ALLOWANCE
 * here: 1).
 */
describe("a user's own allowance of high priority", () => {
  let snapshot: string;
  let frank: { token: string };

  beforeAll(async () => {
    snapshot = await storeBlob(api, 'snapshots');
    frank = await api.user('frank');
  });

  const patch = (name: string, json: unknown, token = api.admin.token) => api.call('PATCH', `/api/v1/users/${name}`, { token, json });
  const submitHigh = () => api.call('POST', '/api/v1/executions', { token: frank.token, json: spec(snapshot, { priority: 'high' }) });
  const listed = async (name: string) => {
    const users = (await api.call('GET', '/api/v1/users', { token: api.admin.token })).json.users as Array<{ name: string; high_priority_allowance: number | null }>;
    return users.find((user) => user.name === name);
  };

  it("starts at the deployment's (null) for every user", async () => {
    expect(await listed('frank')).toMatchObject({ name: 'frank', high_priority_allowance: null });
    expect(await listed('admin')).toMatchObject({ role: 'admin', high_priority_allowance: null });
  });

  it('lets an admin set it: the user then submits that many `high` executions per window, not one more', async () => {
    const set = await patch('frank', { high_priority_allowance: 2 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ name: 'frank', role: 'user', disabled_at: null, high_priority_allowance: 2 });
    expect(await listed('frank')).toMatchObject({ high_priority_allowance: 2 });
    expect((await submitHigh()).status).toBe(201);
    expect((await submitHigh()).status).toBe(201);
    const third = await submitHigh();
    expect([third.status, third.json.error.code]).toEqual([403, 'priority_not_allowed']);
    expect(third.json.error.details).toMatchObject({ allowance: 2, used: 2, requested: 1 });
  });

  it("goes back to the deployment's allowance with null", async () => {
    expect((await patch('frank', { high_priority_allowance: 3 })).json.high_priority_allowance).toBe(3);
    expect((await submitHigh()).status).toBe(201);
    const cleared = await patch('frank', { high_priority_allowance: null });
    expect([cleared.status, cleared.json.high_priority_allowance]).toEqual([200, null]);
    expect(await listed('frank')).toMatchObject({ high_priority_allowance: null });
    const refused = await submitHigh();
    expect([refused.status, refused.json.error.code]).toEqual([403, 'priority_not_allowed']);
    expect(refused.json.error.details).toMatchObject({ allowance: 1, used: 3 });
  });

  it('is for admins only: a user cannot raise their own', async () => {
    const own = await patch('frank', { high_priority_allowance: 100 }, frank.token);
    expect([own.status, own.json.error.code]).toEqual([403, 'forbidden']);
    expect(await listed('frank')).toMatchObject({ high_priority_allowance: null });
  });

  it('answers 404 for an unknown user', async () => {
    const unknown = await patch('nobody', { high_priority_allowance: 1 });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'not_found']);
  });

  it.each([
    [{ high_priority_allowance: -1 }, 'body.high_priority_allowance'],
    [{ high_priority_allowance: '2' }, 'body.high_priority_allowance'],
    [{ high_priority_allowance: 1.5 }, 'body.high_priority_allowance'],
    [{ high_priority_allowance: 1_000_001 }, 'body.high_priority_allowance'],
    [{}, 'body.high_priority_allowance'],
    [{ high_priority_allowance: 2, role: 'admin' }, 'body.role'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (json, path) => {
    const refused = await patch('frank', json);
    expect([refused.status, refused.json.error.code]).toEqual([400, 'validation_failed']);
    expect(refused.json.error.details).toEqual([expect.objectContaining({ path })]);
    expect(await api.runtime.db('users').where({ name: 'frank' }).first()).toMatchObject({ role: 'user', high_priority_allowance: null });
  });
});

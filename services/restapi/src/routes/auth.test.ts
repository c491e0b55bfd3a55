import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/harness.js';

/**
 * The identity of issue 12 against real PostgreSQL: Basic credentials, NGINX's auth check with
 * the roles of /mlflow/, browser sessions (login page, cookie, same-origin posts, logout, expiry),
 * one-time login links, token expiry, disabled users, and the cache window that bounds how long a
 * change made elsewhere takes to bite.
 */
let api: TestApi;
let alice: { token: string };
beforeAll(async () => {
  api = await startTestApi({ authCacheMs: 400 });
  alice = await api.user('alice');
}, 30_000);
afterAll(async () => api?.close());

const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request without following redirects (the answers are what NGINX and browsers see). */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  return fetch(`${api.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
}

/** NGINX's auth_request for a request of `method` on `uri`, with the caller's headers. */
const check = (method: string, uri: string, headers: Record<string, string> = {}) =>
  send('GET', '/api/v1/auth/check', { 'x-original-method': method, 'x-original-uri': uri, ...headers });

/** Logs `user` in through the login page and returns the session cookie (`plz_session=...`). */
async function logIn(user: string, token: string, headers: Record<string, string> = {}): Promise<{ cookie: string; response: Response }> {
  const response = await send('POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', origin: api.url, ...headers }, new URLSearchParams({ user, token, next: '/mlflow/#/experiments/1' }).toString());
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, response };
}

describe('credentials on the REST API', () => {
  it('accepts Basic with the user name and a token of theirs, as MLflow clients send it', async () => {
    const me = await send('GET', '/api/v1/me', { authorization: basic('alice', alice.token) });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'alice', role: 'user' });
  });

  it('refuses Basic with another user name, a wrong token or no colon', async () => {
    expect((await send('GET', '/api/v1/me', { authorization: basic('admin', alice.token) })).status).toBe(401);
    expect((await send('GET', '/api/v1/me', { authorization: basic('alice', 'plz_wrong') })).status).toBe(401);
    expect((await send('GET', '/api/v1/me', { authorization: `Basic ${Buffer.from(alice.token).toString('base64')}` })).status).toBe(401);
  });
});

describe('the auth check NGINX asks', () => {
  it('refuses a request with no credential: 401 with the JSON error for NGINX, and the login page for a browser', async () => {
    const api401 = await check('POST', '/mlflow/api/2.0/mlflow/experiments/search', { accept: 'application/json' });
    expect(api401.status).toBe(401);
    expect(JSON.parse(api401.headers.get('x-plz-error')!)).toMatchObject({ error_code: 'UNAUTHENTICATED', error: { code: 'unauthenticated' } });
    expect(api401.headers.get('x-plz-login')).toBeNull();
    const page = await check('GET', '/mlflow/#/experiments/1?x=1&y=2', { accept: 'text/html,application/xhtml+xml' });
    expect(page.status).toBe(401);
    expect(page.headers.get('x-plz-login')).toBe(`/login?next=${encodeURIComponent('/mlflow/#/experiments/1?x=1&y=2')}`);
  });

  it('lets users read, search and tag, and names the user and role for NGINX', async () => {
    const headers = { authorization: `Bearer ${alice.token}` };
    for (const [method, uri] of [['GET', '/mlflow/'], ['POST', '/mlflow/api/2.0/mlflow/runs/search'], ['POST', '/mlflow/ajax-api/2.0/mlflow/runs/set-tag']] as const) {
      const answer = await check(method, uri, headers);
      expect([method, uri, answer.status]).toEqual([method, uri, 204]);
      expect([answer.headers.get('x-plz-user'), answer.headers.get('x-plz-role')]).toEqual(['alice', 'user']);
    }
  });

  it("refuses users the admins' writes with 403 and a message, and lets admins through", async () => {
    const refused = await check('POST', '/mlflow/api/2.0/mlflow/runs/delete', { authorization: basic('alice', alice.token) });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.headers.get('x-plz-error')!)).toMatchObject({ error_code: 'PERMISSION_DENIED', message: expect.stringMatching(/is for admins/), error: { code: 'forbidden' } });
    expect((await check('POST', '/mlflow/api/2.0/mlflow/runs/%64elete', { authorization: basic('alice', alice.token) })).status).toBe(403);
    expect((await check('PUT', '/mlflow/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/output/x', { authorization: basic('alice', alice.token) })).status).toBe(403);
    expect((await check('POST', '/mlflow/api/2.0/mlflow/runs/delete', { authorization: `Bearer ${api.admin.token}` })).status).toBe(204);
  });
});

describe('browser sessions', () => {
  it('serves the login page with the next path kept, and refuses a wrong token on it', async () => {
    const page = await send('GET', '/login?next=%2Fmlflow%2F');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).toContain('value="/mlflow/"');
    expect((await send('GET', '/login?next=https://evil.example/')).status).toBe(200);
    expect(await (await send('GET', '/login?next=//evil.example/')).text()).toContain('name="next" value="/"');
    const wrong = await logIn('alice', 'plz_wrong');
    expect(wrong.response.status).toBe(401);
    expect(wrong.response.headers.get('set-cookie')).toBeNull();
    expect(await wrong.response.text()).toContain('do not match');
    expect((await logIn('admin', alice.token)).response.status).toBe(401);
  });

  it('logs in with user name and token: an HttpOnly, SameSite=Lax cookie that opens the API and /mlflow/, then back to next', async () => {
    const { cookie, response } = await logIn('alice', alice.token);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/mlflow/#/experiments/1');
    const attributes = response.headers.get('set-cookie')!;
    expect(attributes).toMatch(/^plz_session=[^;]+; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    expect(attributes).not.toMatch(/Secure/);
    expect(await (await send('GET', '/api/v1/me', { cookie })).json()).toMatchObject({ name: 'alice' });
    expect((await check('GET', '/mlflow/', { cookie })).status).toBe(204);
  });

  it('marks the cookie Secure when NGINX says the request came over HTTPS', async () => {
    const { response } = await logIn('alice', alice.token, { 'x-forwarded-proto': 'https', origin: `https://${new URL(api.url).host}` });
    expect(response.status).toBe(303);
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses a forged or altered cookie', async () => {
    const { cookie } = await logIn('alice', alice.token);
    expect((await send('GET', '/api/v1/me', { cookie: `${cookie}x` })).status).toBe(401);
    expect((await send('GET', '/api/v1/me', { cookie: 'plz_session=abc.def' })).status).toBe(401);
  });

  it('refuses state-changing requests with the cookie from another origin, through the API and through the check', async () => {
    const { cookie } = await logIn('alice', alice.token);
    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ next: '/' });
    const foreign = await send('POST', '/api/v1/auth/login-links', { cookie, origin: 'http://evil.example', ...json }, body);
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toMatch(/must come from this deployment's own pages/);
    expect((await send('POST', '/api/v1/auth/login-links', { cookie, ...json }, body)).status).toBe(403);
    const otherPort = new URL(api.url);
    otherPort.port = String(Number(otherPort.port) + 1);
    expect((await send('POST', '/api/v1/auth/login-links', { cookie, origin: otherPort.origin, ...json }, body)).status).toBe(403);
    expect((await send('POST', '/api/v1/auth/login-links', { cookie, origin: api.url, ...json }, body)).status).toBe(201);
    expect((await send('POST', '/api/v1/auth/login-links', { cookie, referer: `${api.url}/mlflow/`, ...json }, body)).status).toBe(201);
    expect((await check('POST', '/mlflow/ajax-api/2.0/mlflow/runs/set-tag', { cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await check('POST', '/mlflow/ajax-api/2.0/mlflow/runs/set-tag', { cookie, origin: api.url })).status).toBe(204);
    // A login form posted from another site is refused too (login CSRF).
    expect((await logIn('alice', alice.token, { origin: 'http://evil.example' })).response.status).toBe(403);
  });

  it('logs out: the page posts, the session ends and the cookie is cleared', async () => {
    const { cookie } = await logIn('alice', alice.token);
    const page = await send('GET', '/logout', { cookie });
    expect(await page.text()).toContain('<strong>alice</strong>');
    const out = await send('POST', '/logout', { cookie, origin: api.url });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
    expect(out.headers.get('set-cookie')).toMatch(/^plz_session=; Max-Age=0/);
    expect((await send('GET', '/api/v1/me', { cookie })).status).toBe(401);
    expect((await check('GET', '/mlflow/', { cookie, accept: 'text/html' })).headers.get('x-plz-login')).toBe('/login?next=%2Fmlflow%2F');
  });

  it('refuses an expired session', async () => {
    const { cookie } = await logIn('alice', alice.token);
    await api.runtime.db('sessions').whereRaw('created_at > now() - interval \'1 minute\'').whereNull('ended_at').update({ expires_at: api.runtime.db.raw("now() - interval '1 second'") });
    await sleep(500);
    expect((await send('GET', '/api/v1/me', { cookie })).status).toBe(401);
    expect((await check('GET', '/mlflow/', { cookie })).status).toBe(401);
  });
});

describe('one-time login links', () => {
  it('log a browser in once, for 60 s, and go to next', async () => {
    const created = await api.call('POST', '/api/v1/auth/login-links', { token: alice.token, json: { next: '/mlflow/#/experiments/1/runs/abc' } });
    expect(created.status).toBe(201);
    expect(created.json.path).toMatch(/^\/login\/link\/[A-Za-z0-9_-]{43}$/);
    const lifetime = Date.parse(created.json.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(50_000);
    expect(lifetime).toBeLessThanOrEqual(60_000);
    const first = await send('GET', created.json.path);
    expect([first.status, first.headers.get('location')]).toEqual([303, '/mlflow/#/experiments/1/runs/abc']);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    expect(await (await send('GET', '/api/v1/me', { cookie })).json()).toMatchObject({ name: 'alice' });
    const second = await send('GET', created.json.path);
    expect(second.status).toBe(410);
    expect(second.headers.get('set-cookie')).toBeNull();
  });

  it('refuse an expired link and an unknown code, and keep next on the deployment', async () => {
    const created = await api.call('POST', '/api/v1/auth/login-links', { token: alice.token, json: {} });
    await api.runtime.db('login_links').whereNull('used_at').update({ expires_at: api.runtime.db.raw("now() - interval '1 second'") });
    expect((await send('GET', created.json.path)).status).toBe(410);
    expect((await send('GET', '/login/link/not-a-code')).status).toBe(410);
    expect((await api.call('POST', '/api/v1/auth/login-links', { token: alice.token, json: { next: 'https://evil.example/' } })).status).toBe(400);
    expect((await api.call('POST', '/api/v1/auth/login-links', { json: {} })).status).toBe(401);
  });
});

describe('token expiry and disabled users', () => {
  it('creates tokens with an expiry, refuses one in the past, and stops an expired token', async () => {
    await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'bob' } });
    const past = await api.call('POST', '/api/v1/users/bob/tokens', { token: api.admin.token, json: { name: 'old', expires_at: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api.call('POST', '/api/v1/users/bob/tokens', { token: api.admin.token, json: { name: 'laptop', expires_at: expiresAt } });
    expect(created.status).toBe(201);
    expect(created.json.expires_at).toBe(expiresAt);
    expect((await api.call('GET', '/api/v1/me', { token: created.json.token })).status).toBe(200);
    await api.runtime.db('tokens').where({ id: created.json.id }).update({ expires_at: api.runtime.db.raw("now() - interval '1 second'") });
    await sleep(500);
    expect((await api.call('GET', '/api/v1/me', { token: created.json.token })).status).toBe(401);
    expect((await check('GET', '/mlflow/', { authorization: `Bearer ${created.json.token}` })).status).toBe(401);
  });

  it("disables a user: tokens and sessions refused at once, by the API and the check; enabled again, they work", async () => {
    await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'carol' } });
    const token = (await api.call('POST', '/api/v1/users/carol/tokens', { token: api.admin.token, json: { name: 't' } })).json.token as string;
    const { cookie } = await logIn('carol', token);
    expect((await send('GET', '/api/v1/me', { cookie })).status).toBe(200);
    const disabled = await api.call('POST', '/api/v1/users/carol/disable', { token: api.admin.token });
    expect(disabled.status).toBe(200);
    expect(disabled.json.disabled_at).not.toBeNull();
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(401);
    expect((await send('GET', '/api/v1/me', { cookie })).status).toBe(401);
    expect((await check('GET', '/mlflow/', { authorization: basic('carol', token) })).status).toBe(401);
    expect((await logIn('carol', token)).response.status).toBe(401);
    expect((await api.call('POST', '/api/v1/users/carol/disable', { token: alice.token })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/users/nobody/disable', { token: api.admin.token })).status).toBe(404);
    const enabled = await api.call('POST', '/api/v1/users/carol/enable', { token: api.admin.token });
    expect(enabled.json.disabled_at).toBeNull();
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('honours a revocation made by another replica within the cache window, not later', async () => {
    await api.call('POST', '/api/v1/users', { token: api.admin.token, json: { name: 'dave' } });
    const token = (await api.call('POST', '/api/v1/users/dave/tokens', { token: api.admin.token, json: { name: 't' } })).json.token as string;
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(200);
    // Another replica disables dave: this process learns it only from PostgreSQL.
    await api.runtime.db('users').where({ name: 'dave' }).update({ disabled_at: api.runtime.db.fn.now() });
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(200);
    await sleep(500);
    expect((await api.call('GET', '/api/v1/me', { token })).status).toBe(401);
  });
});

describe('a long cache window', () => {
  it('never keeps an expiring token past its expiry', async () => {
    const longCache = await startTestApi({ authCacheMs: 60_000 });
    try {
      await longCache.call('POST', '/api/v1/users', { token: longCache.admin.token, json: { name: 'erin' } });
      const expiresAt = new Date(Date.now() + 1_500).toISOString();
      const created = await longCache.call('POST', '/api/v1/users/erin/tokens', { token: longCache.admin.token, json: { name: 'short', expires_at: expiresAt } });
      expect((await longCache.call('GET', '/api/v1/me', { token: created.json.token })).status).toBe(200);
      await sleep(Date.parse(expiresAt) - Date.now() + 100);
      expect((await longCache.call('GET', '/api/v1/me', { token: created.json.token })).status).toBe(401);
    } finally {
      await longCache.close();
    }
  });
});

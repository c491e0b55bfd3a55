import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client, testServices } from '@plz/testkit';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { sha256, spec, storeBlob } from '../testing/fixtures.js';
import { apiRoutes } from './index.js';

/**
 * The bad-input sweep: hundreds of malformed requests over every route (bad ids, hashes and names
 * in paths, bad and unknown query parameters, malformed and mistyped bodies, wrong content types,
 * missing and wrong tokens, oversized and mismatched uploads). None may get a 5xx, every refusal
 * must have the JSON error body, and PostgreSQL, Redis and MinIO must hold exactly what they held before.
 */

let api: TestApi;
let userToken: string;
let snapshot: string;
const s3 = s3Client(testServices().s3);

beforeAll(async () => {
  api = await startTestApi({ limits: { snapshot: 256 * 1024, input: 256 * 1024 } });
  userToken = (await api.user('alice')).token;
  snapshot = await storeBlob(api, 'snapshots');
}, 30_000);
afterAll(async () => {
  s3.destroy();
  await api?.close();
});

/** Everything the stores hold that a request could have changed. */
async function storeState(): Promise<unknown> {
  const tables: Record<string, unknown> = {};
  for (const table of ['users', 'tokens', 'sweeps', 'executions']) tables[table] = await api.runtime.db(table).select('*').orderBy('id');
  const redisKeys = (await api.redis.keys('*')).sort();
  const objects: Record<string, unknown> = {};
  for (const bucket of Object.values(api.buckets)) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    objects[bucket] = { keys: (listed.Contents ?? []).map((item) => `${item.Key} ${item.Size}`).sort(), pending: uploads.Uploads?.length ?? 0 };
  }
  return { tables, redisKeys, objects };
}

const unknownId = '4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f';
const badIds = ['not-a-uuid', '123', 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ', "1'%20OR%20'1'='1", '%00', 'x'.repeat(3000), '%E2%98%83', '4f7c1d2e8a9b4c3d9e8f1a2b3c4d5e6f', '%zz'];
const badShas = ['abc', 'A'.repeat(64), 'g'.repeat(64), 'a'.repeat(65), '%00', '%zz'];
const badNames = ['Admin', 'a%20b', '-x', 'x'.repeat(100), '%00', '..'];
const badQueries = [
  'limit=-1', 'limit=abc', 'limit=1e9', 'limit=1&limit=2', 'since=yesterday', 'until=2024-13-45T00:00:00Z', 'state=zzz', 'state=', 'state=queued,,',
  'cursor=%25%25', `cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'follow=maybe', 'summary=2', 'path=../../etc/passwd', 'path=%00', 'path=/abs',
  'project=', `project=${'x'.repeat(500)}`, 'unknown=1', 'project[a]=b', 'since=start&since=start',
];
const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const badBodies: Array<[string, string | Buffer]> = [
  ['application/json', '{'], ['application/json', '{"a":}'], ['application/json', 'null'], ['application/json', '"text"'], ['application/json', '12'],
  ['application/json', 'true'], ['application/json', '[]'], ['application/json', '[1,2]'], ['application/json', '{}'], ['application/json', nested],
  ['application/json', '{"__proto__":{"role":"admin"}}'], ['application/json', '{"constructor":{"prototype":{"polluted":1}}}'],
  ['application/json', '{"project":["x"],"snapshot":1,"resources":{"gpus":-1}}'], ['application/json', '{"project":"p","snapshot":"abc","parameters":"x"}'],
  ['application/json', `{"name":"${'x'.repeat(10_000)}"}`], ['application/json', '{"name":null,"role":7}'], ['application/json', '{"parameters":{"lr":[1,2]},"extra":true}'],
  ['application/json', JSON.stringify({ project: 'p', snapshot: 'f'.repeat(64), parameters: { big: 'x'.repeat(70_000) } })],
  ['application/json', JSON.stringify({ project: 'p', snapshot: 'f'.repeat(64), parameters: Array.from({ length: 1001 }, () => ({})) })],
  ['application/json', Buffer.alloc(9 * 1024 * 1024, 0x20)], ['application/json', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
  ['application/json; charset=latin9', '{}'], ['text/plain', 'hello'], ['application/x-www-form-urlencoded', 'project=p'], ['application/xml', '<a/>'],
  ['', '{}'],
];

interface Probe {
  method: string;
  path: string;
  token?: string;
  contentType?: string;
  body?: string | Buffer;
}

/** Every malformed request of the sweep, built from the route table so that no route is forgotten. */
function probes(): Probe[] {
  const list: Probe[] = [];
  for (const route of apiRoutes(api.runtime.services)) {
    const method = route.method.toUpperCase();
    const token = route.access === 'admin' ? api.admin.token : userToken;
    const fill = (value: string) =>
      route.path.replace(/:(\w+)/g, (_: string, name: string) => value.replace('{name}', name));
    const good = route.path.replace(':id', unknownId).replace(':sha256', 'f'.repeat(64)).replace(':name', 'nobody');
    if (route.access !== 'public') {
      list.push({ method, path: good });
      list.push({ method, path: good, token: 'plz_wrong' });
      list.push({ method, path: good, token: `${api.admin.token}x` });
    }
    if (route.path.includes(':id')) for (const id of badIds) list.push({ method, path: fill(id), token });
    if (route.path.includes(':sha256')) for (const sha of badShas) list.push({ method, path: fill(sha), token });
    if (route.path.includes(':name')) for (const name of badNames) list.push({ method, path: fill(name), token });
    for (const query of badQueries) list.push({ method, path: `${good}?${query}`, token });
    for (const [contentType, body] of route.body ? badBodies : []) {
      // `{}` is a good body where every field is optional (a login link to `/`).
      if (contentType === 'application/json' && body === '{}' && route.body!.safeParse({}).success) continue;
      list.push({ method, path: good, token, contentType, body });
    }
    for (const other of ['PATCH']) list.push({ method: other, path: good, token });
  }
  // Uploads: a hash that does not match, and bodies over the limit (declared or not).
  for (const kind of ['snapshots', 'inputs']) {
    list.push({ method: 'PUT', path: `/api/v1/${kind}/${sha256('other')}`, token: userToken, contentType: 'application/gzip', body: randomBytes(1000) });
    list.push({ method: 'PUT', path: `/api/v1/${kind}/${sha256('other')}`, token: userToken, contentType: 'application/json', body: '{"not":"a tar"}' });
    list.push({ method: 'PUT', path: `/api/v1/${kind}/${sha256('big')}`, token: userToken, body: randomBytes(300 * 1024) });
  }
  // Well-formed requests that must be refused without writing: no worker, missing snapshot or input.
  list.push({ method: 'POST', path: '/api/v1/executions', token: userToken, contentType: 'application/json', body: JSON.stringify(spec(snapshot, { queue_without_worker: false })) });
  list.push({ method: 'POST', path: '/api/v1/executions', token: userToken, contentType: 'application/json', body: JSON.stringify(spec('f'.repeat(64))) });
  list.push({ method: 'POST', path: '/api/v1/executions', token: userToken, contentType: 'application/json', body: JSON.stringify(spec(snapshot, { input: { kind: 'input', sha256: 'e'.repeat(64) } })) });
  list.push({ method: 'POST', path: '/api/v1/sweeps', token: userToken, contentType: 'application/json', body: JSON.stringify({ ...spec(snapshot, { queue_without_worker: false }), parameters: [{}] }) });
  // Paths no route serves.
  for (const path of ['/api/v2/executions', '/api/v1/execution', '/%zz', '/api/v1/executions/%E0%A4%A', `/${'x'.repeat(5000)}`]) list.push({ method: 'GET', path, token: userToken });
  return list;
}

describe('the bad-input sweep', () => {
  it('answers hundreds of malformed requests without a 5xx, with JSON errors, and writes nothing', async () => {
    // Let the tokens' last-use times settle (written at most once a minute) before taking the picture.
    await api.call('GET', '/api/v1/me', { token: userToken });
    await api.call('GET', '/api/v1/me', { token: api.admin.token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await storeState();

    const all = probes();
    expect(all.length).toBeGreaterThan(500);
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    for (let i = 0; i < all.length; i += 8) {
      await Promise.all(
        all.slice(i, i + 8).map(async (probe) => {
          const headers: Record<string, string> = {};
          if (probe.token) headers['authorization'] = `Bearer ${probe.token}`;
          if (probe.contentType) headers['content-type'] = probe.contentType;
          const label = `${probe.method} ${probe.path.slice(0, 120)} ${probe.contentType ?? ''} ${String(probe.body ?? '').slice(0, 40)}`;
          let status: number;
          let text: string;
          let contentType: string | null;
          try {
            const response = await fetch(`${api.url}${probe.path}`, { method: probe.method, headers, ...(probe.body !== undefined ? { body: probe.body } : {}) });
            status = response.status;
            contentType = response.headers.get('content-type');
            text = await response.text();
          } catch (error) {
            // The server may close the connection on an oversized upload after answering 413.
            if (probe.body && Buffer.byteLength(probe.body) > 256 * 1024) return;
            failures.push(`${label}: ${(error as Error).message}`);
            return;
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 500) failures.push(`${label}: ${status} ${text.slice(0, 200)}`);
          if (status >= 400 && probe.method !== 'HEAD') {
            const body = contentType?.includes('json') ? (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }) : undefined;
            if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') failures.push(`${label}: ${status} without a JSON error: ${text.slice(0, 100)}`);
          }
          if (status < 400) failures.push(`${label}: accepted with ${status}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(Object.keys(statuses).every((status) => Number(status) < 500)).toBe(true);
    expect(await storeState()).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['role']).toBeUndefined();
  }, 120_000);
});

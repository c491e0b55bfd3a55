import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../logger.js';
import { startTestApi, type TestApi } from '../testing/harness.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  },
});

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ logger: createLogger('info', sink) });
}, 30_000);
afterAll(async () => api?.close());

describe('request logs', () => {
  it('writes one JSON line per request with its id, status and caller, never the token', async () => {
    const answer = await api.call('GET', '/api/v1/users', { token: api.admin.token, headers: { 'x-request-id': 'trace-me-1' } });
    expect(answer.status).toBe(200);
    await api.call('GET', '/api/v1/me', { token: 'plz_wrong-token', headers: { 'x-request-id': 'trace-me-2' } });
    await api.call('GET', '/health');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = lines.map((line) => JSON.parse(line) as { req?: { id: string; url: string }; res?: { statusCode: number }; user?: string; msg: string });
    const ok = entries.find((entry) => entry.req?.id === 'trace-me-1');
    expect(ok).toMatchObject({ req: { url: '/api/v1/users' }, res: { statusCode: 200 }, user: 'admin', msg: 'request completed' });
    const refused = entries.find((entry) => entry.req?.id === 'trace-me-2');
    expect(refused).toMatchObject({ res: { statusCode: 401 } });
    expect(refused).not.toHaveProperty('user');
    const all = lines.join('\n');
    expect(all).not.toContain(api.admin.token);
    expect(all).not.toContain('plz_wrong-token');
    expect(entries.some((entry) => entry.req?.url === '/health')).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiClient } from '../api/client.js';
import { TokenInUploadError } from '../errors.js';
import { prepareInput, stageInput } from './input.js';

const oldToken = 'plz_b2xkLXRva2VuLW9mLWFsaWNlLWJlZm9yZS1sb2dpbg';
const newToken = 'plz_bmV3LXRva2VuLWFmdGVyLWxvZ2dpbmctaW4tYWdhaW4';

/** The deployment as prepareInput sees it: it has every input already (HEAD 200), so nothing is PUT. */
function fakeApi(): { api: ApiClient; calls: string[] } {
  const calls: string[] = [];
  const api = { request: (method: string, url: string) => (calls.push(`${method} ${url}`), Promise.resolve({ status: 200 } as Response)) } as unknown as ApiClient;
  return { api, calls };
}

function setup(files: Record<string, string>): { dir: string; env: { XDG_CACHE_HOME: string } } {
  const base = mkdtempSync(path.join(tmpdir(), 'plz-input-'));
  const dir = path.join(base, 'data');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return { dir, env: { XDG_CACHE_HOME: path.join(base, 'cache') } };
}

describe('prepareInput and the token', () => {
  it('scans again on a cache hit for a token the cache entry was not checked for', async () => {
    const { dir, env } = setup({ 'a.csv': '1,2\n', 'notes/new-login.txt': `my new token is ${newToken}\n` });
    const { api, calls } = fakeApi();
    const first = await prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [oldToken] });
    expect(first.outcome).toBe('present');
    const cache = JSON.parse(readFileSync(path.join(env.XDG_CACHE_HOME, 'plz', 'inputs.json'), 'utf8')) as Record<string, { clean_for: string[] }>;
    expect(cache[dir]?.clean_for).toHaveLength(1);
    expect(JSON.stringify(cache)).not.toContain(oldToken);

    // The same files and the same token: the cache is trusted (no packing: reused).
    calls.length = 0;
    expect((await prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [oldToken] })).outcome).toBe('reused');
    expect(calls).toHaveLength(1);

    // The same files, another token (logged in again): scanned, refused, nothing asked of the server.
    calls.length = 0;
    const refused = prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [newToken] });
    await expect(refused).rejects.toThrow(TokenInUploadError);
    await expect(refused).rejects.toMatchObject({ file: 'notes/new-login.txt', code: 'token_in_upload' });
    expect(calls).toEqual([]);
  });

  it('refuses a token added to a file after the input was cached, before any upload', async () => {
    const { dir, env } = setup({ 'a.csv': '1,2\n' });
    const { api, calls } = fakeApi();
    expect((await prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [oldToken] })).outcome).toBe('present');
    writeFileSync(path.join(dir, 'a.csv'), `1,2\n${oldToken}\n`);
    calls.length = 0;
    await expect(stageInput(`file://${dir}`, api, { showProgress: false, env, tokens: [oldToken] })).rejects.toMatchObject({ file: 'a.csv' });
    expect(calls).toEqual([]);
  });

  it('records a clean scan so that the next run with the same token reads nothing', async () => {
    const { dir, env } = setup({ 'a.csv': '1,2\n' });
    const { api } = fakeApi();
    await prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [oldToken] });
    await prepareInput(`file://${dir}`, api, { showProgress: false, env, tokens: [newToken] }); // cache hit, scanned clean
    const cache = JSON.parse(readFileSync(path.join(env.XDG_CACHE_HOME, 'plz', 'inputs.json'), 'utf8')) as Record<string, { clean_for: string[] }>;
    expect(cache[dir]?.clean_for).toHaveLength(2);
  });
});

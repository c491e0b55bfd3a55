import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from '../testing/harness.js';

const root = new URL('../../../../', import.meta.url);
const folder = mkdtempSync(path.join(tmpdir(), 'plz-downloads-'));
const cliPackage = path.join(folder, 'plz.tgz');
const bytes = randomBytes(50_000);
let api: TestApi;
let bare: TestApi;
beforeAll(async () => {
  writeFileSync(cliPackage, bytes);
  [api, bare] = await Promise.all([startTestApi({ cliPackage }), startTestApi()]);
}, 30_000);
afterAll(async () => {
  await Promise.all([api?.close(), bare?.close()]);
  rmSync(folder, { recursive: true, force: true });
});

describe('the version, the landing page and the CLI package', () => {
  it("answers the deployment's version without an identity, the one every workspace of the repository carries", async () => {
    const answer = await api.call('GET', '/api/v1/version');
    expect(answer.status).toBe(200);
    const workspaces = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { workspaces: string[] }).workspaces;
    const versions = workspaces.map((dir) => (JSON.parse(readFileSync(new URL(`${dir}/package.json`, root), 'utf8')) as { version: string }).version);
    expect(new Set(versions)).toEqual(new Set([answer.json.version]));
  });

  it('serves the CLI package to anyone, byte for byte', async () => {
    const response = await fetch(`${api.url}/downloads/plz.tgz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('shows on the landing page the install and login commands for the address the browser used', async () => {
    const page = await fetch(`${api.url}/`, { headers: { 'x-forwarded-host': 'gpu-box.example:8443', 'x-forwarded-proto': 'https' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('npm install -g https://gpu-box.example:8443/downloads/plz.tgz');
    expect(html).toContain('plz login https://gpu-box.example:8443');
  });

  it('says so when the image has no CLI package', async () => {
    const missing = await bare.call('GET', '/downloads/plz.tgz');
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(/serves no CLI package/);
    expect(await (await fetch(`${bare.url}/`)).text()).toContain('serves no CLI package');
  });
});

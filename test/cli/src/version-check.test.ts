import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiClient } from '@plz/cli/api/client.js';
import { Printer } from '@plz/cli/output.js';
import { cliVersion } from '@plz/cli/version.js';
import { remindOfVersion, versionCheckIntervalMs } from '@plz/cli/version-check.js';
import { startStack, type Stack } from './stack.js';

// The once-a-day version reminder against the real REST API's GET /api/v1/version.

describe('the version reminder', () => {
  let stack: Stack;
  let cache: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    cache = mkdtempSync(path.join(tmpdir(), 'plz-version-check-'));
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(cache, { recursive: true, force: true });
  }, 60_000);

  it('warns once a day when this CLI differs from the deployment, with the install command, and stays quiet when they match', async () => {
    const api = new ApiClient(stack.url, stack.token);
    const printer = new Printer(false);
    const warn = jest.spyOn(printer, 'warn').mockImplementation(() => undefined);
    const env = { XDG_CACHE_HOME: cache };
    const now = Date.now();
    const deployed = await remindOfVersion(api, printer, env, now, '0.0.1-old');
    expect(deployed).toBe(cliVersion());
    expect(warn).toHaveBeenCalledWith(`this plz is 0.0.1-old, the deployment runs ${cliVersion()}: npm install -g ${stack.url}/downloads/plz.tgz (checked once a day)`);
    expect(existsSync(path.join(cache, 'plz', 'version-check.json'))).toBe(true);
    // Within the day: not asked again.
    expect(await remindOfVersion(api, printer, env, now + versionCheckIntervalMs - 1, '0.0.1-old')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    // A day later: asked again; the same version: no warning.
    expect(await remindOfVersion(api, printer, env, now + versionCheckIntervalMs, cliVersion())).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('says nothing and raises nothing when the deployment does not answer', async () => {
    const printer = new Printer(false);
    const warn = jest.spyOn(printer, 'warn').mockImplementation(() => undefined);
    const gone = new ApiClient('http://127.0.0.1:9', stack.token);
    await expect(remindOfVersion(gone, printer, { XDG_CACHE_HOME: cache }, Date.now(), '0.0.1-old')).resolves.toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });
});

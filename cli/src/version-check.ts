import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { ApiClient } from './api/client.js';
import type { Printer } from './output.js';
import { cliVersion } from './version.js';

/** How often the CLI asks a deployment for its version, ms (once a day). */
export const versionCheckIntervalMs = 86_400_000;

/** When each deployment (by URL) was last asked, ms since epoch: `$XDG_CACHE_HOME/plz/version-check.json`. */
type CheckTimes = Record<string, number>;

function stateFile(env: Record<string, string | undefined>): string {
  return path.join(env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache'), 'plz', 'version-check.json');
}

function readTimes(file: string): CheckTimes {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as CheckTimes) : {};
  } catch {
    return {}; // none yet, or damaged: ask again
  }
}

/**
 * Warns, at most once a day per deployment, when this CLI's version differs from the deployment's
 * (`GET /api/v1/version`), with the command that installs the matching one. Best effort: a
 * deployment that does not answer within 3 s, or an unwritable cache, changes nothing and raises
 * nothing (the command itself already succeeded or failed on its own).
 *
 * @param now ms since epoch, and `mine` this CLI's version (tests); `env` for XDG_CACHE_HOME.
 * @returns the deployment's version when it was asked and differs, else undefined.
 */
export async function remindOfVersion(
  api: ApiClient,
  printer: Printer,
  env: Record<string, string | undefined> = process.env,
  now = Date.now(),
  mine = cliVersion(),
): Promise<string | undefined> {
  const file = stateFile(env);
  const times = readTimes(file);
  if (now - (times[api.baseUrl] ?? 0) < versionCheckIntervalMs) return undefined;
  let version: string;
  try {
    ({ version } = await api.json<{ version: string }>('GET', '/api/v1/version', { timeoutMs: 3_000, retry: false }));
  } catch {
    return undefined;
  }
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify({ ...times, [api.baseUrl]: now })}\n`);
  } catch {
    // an unwritable cache: the reminder may come again next time
  }
  if (typeof version !== 'string' || version === mine) return undefined;
  printer.warn(`this plz is ${mine}, the deployment runs ${version}: npm install -g ${api.baseUrl}/downloads/plz.tgz (checked once a day)`);
  return version;
}

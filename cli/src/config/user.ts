import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * A deployment URL as plz stores it: http or https, no trailing slash, no query or fragment.
 *
 * @throws ConfigError (code `bad_url`) for anything else.
 */
export function normaliseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(`${JSON.stringify(text)} is not a URL`, 'give the deployment\'s address, e.g. plz login https://plz.example.org', 'bad_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${JSON.stringify(text)} is not an http:// or https:// URL`, 'give the deployment\'s address, e.g. plz login https://plz.example.org', 'bad_url');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${JSON.stringify(text)} has a query, a fragment or credentials: give the deployment's address alone`, 'the token goes in plz login\'s prompt, not the URL', 'bad_url');
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * The user configuration file's keys as JSON (unknown keys kept as they are), or `{}` when there
 * is no file.
 *
 * @throws ConfigError when it exists but is not a JSON object.
 */
export function readUserConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`, 'fix or remove it, then log in again');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${file}: expected a JSON object`, 'fix or remove it, then log in again');
  return value as Record<string, unknown>;
}

/**
 * Updates the user configuration file: sets the keys of `set`, removes those of `remove`, keeps
 * every other key. The folder is created with mode 0700 and the file written with mode 0600 (it
 * holds a token), through a temporary file renamed over it, so a crash never leaves half a file.
 *
 * @returns the keys now in the file.
 */
export function updateUserConfig(file: string, set: Record<string, unknown>, remove: readonly string[] = []): Record<string, unknown> {
  const values = { ...readUserConfig(file), ...set };
  for (const key of remove) delete values[key];
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600); // the umask may have taken bits away, never added: make it exact
  renameSync(temporary, file);
  return values;
}

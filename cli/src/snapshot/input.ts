import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { InputRef } from '@plz/contracts';
import type { ApiClient } from '../api/client.js';
import { progress, uploadIfMissing } from '../api/transfer.js';
import { ConfigError } from '../errors.js';
import { parseInputUri } from '../input.js';
import { contentBytes, packArchive } from './archive.js';
import { listContext } from './context.js';

interface CacheEntry {
  fingerprint: string;
  sha256: string;
}

const cacheFile = (env: Record<string, string | undefined>): string =>
  path.join(env['XDG_CACHE_HOME'] ?? path.join(homedir(), '.cache'), 'plz', 'inputs.json');

function readCache(file: string): Record<string, CacheEntry> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {}; // a missing or damaged cache only costs a re-hash
  }
}

/**
 * What identifies an input folder's content without reading it: every file's path, size,
 * modification time (ms) and mode. Equal fingerprints skip packing and hashing.
 */
export function inputFingerprint(root: string, entries: readonly string[]): string {
  const hash = createHash('sha256');
  for (const entry of entries) {
    const stat = lstatSync(path.join(root, entry));
    hash.update(`${entry}\0${stat.size}\0${stat.mtimeMs}\0${stat.mode}\n`);
  }
  return hash.digest('hex');
}

export interface PreparedInput {
  ref: InputRef | null;
  /** What happened, for the user: 'none', 'reused' (cache hit), 'uploaded', 'present' (server had it). */
  outcome: 'none' | 'reused' | 'uploaded' | 'present' | 'referenced';
  bytes?: number;
}

/**
 * Resolves the `input` setting into what an execution references. A `file://` folder is packed
 * (deterministic tar) and uploaded once per content; a local cache keyed by the folder's path
 * and its files' sizes and modification times skips even the packing and hashing when nothing
 * changed (the server is still asked whether it has the input).
 *
 * @throws ConfigError (code `input`) when the folder does not exist or is not a folder.
 */
export async function prepareInput(
  input: string | undefined,
  api: ApiClient,
  options: { showProgress: boolean; env: Record<string, string | undefined> },
): Promise<PreparedInput> {
  if (!input) return { ref: null, outcome: 'none' };
  const source = parseInputUri(input);
  if (source.kind === 'input_id') return { ref: { kind: 'input', sha256: source.sha256 }, outcome: 'referenced' };
  if (source.kind === 'execution') return { ref: { kind: 'execution_output', execution_id: source.executionId }, outcome: 'referenced' };
  const root = path.resolve(source.path);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ConfigError(`input folder ${root} (from "input") does not exist or is not a folder`, 'create it, or change "input" in plz.config.json (file://PATH is relative to that file)', 'input');

  const entries = listContext(root, { excludedPaths: [], includedPaths: [], excludeGitignored: false });
  const fingerprint = inputFingerprint(root, entries);
  const cachePath = cacheFile(options.env);
  const cache = readCache(cachePath);
  const cached = cache[root];
  if (cached?.fingerprint === fingerprint) {
    const head = await api.request('HEAD', `/api/v1/inputs/${cached.sha256}`, { accept: [404] });
    if (head.status !== 404) return { ref: { kind: 'input', sha256: cached.sha256 }, outcome: 'reused' };
  }
  const bar = progress('packing and hashing input', contentBytes(root, entries), options.showProgress);
  let archive: Awaited<ReturnType<typeof packArchive>>;
  try {
    archive = await packArchive(root, entries, { gzip: false, onProgress: (n) => bar.tick(n) });
  } finally {
    bar.stop();
  }
  try {
    const uploaded = await uploadIfMissing(api, 'inputs', archive.sha256, archive.file, archive.bytes, options.showProgress);
    cache[root] = { fingerprint, sha256: archive.sha256 };
    mkdirSync(path.dirname(cachePath), { recursive: true });
    writeFileSync(cachePath, JSON.stringify(cache, null, 2));
    return { ref: { kind: 'input', sha256: archive.sha256 }, outcome: uploaded ? 'uploaded' : 'present', bytes: archive.bytes };
  } finally {
    archive.dispose();
  }
}

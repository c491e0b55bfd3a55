import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { InputRef } from '@plz/contracts';
import { ApiClientError, type ApiClient } from '../api/client.js';
import { progress, uploadIfMissing } from '../api/transfer.js';
import { ConfigError } from '../errors.js';
import { parseInputUri } from '../input.js';
import { contentBytes, hashArchive, openArchive } from './archive.js';
import { listContext } from './context.js';
import { scanFiles, tokensDigest } from './scan.js';

interface CacheEntry {
  fingerprint: string;
  sha256: string;
  /**
   * tokensDigest of each token set these files were scanned for and found clean (the latest few):
   * a cache hit for another token (a new login) scans again before reusing the input.
   */
  clean_for?: string[];
}

/** How many token digests a cache entry remembers. */
const cleanForKept = 5;

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

/** An input resolved, scanned and (when needed) packed, not uploaded yet: see stageInput. */
export interface StagedInput {
  /** Uploads the packed input when the server lacks it and records it in the local cache. */
  upload(): Promise<PreparedInput>;
  /** Removes the packed archive, if any (call it after upload, or instead of it). */
  dispose(): void;
}

const done = (prepared: PreparedInput): StagedInput => ({ upload: () => Promise.resolve(prepared), dispose: () => undefined });

/**
 * Resolves the `input` setting into what an execution references, in two steps so that nothing
 * is uploaded before every check passed: this one checks and packs, `upload()` uploads.
 *
 * A `file://` folder is packed (deterministic tar) and uploaded once per content; a local cache
 * (`$XDG_CACHE_HOME/plz/inputs.json`) keyed by the folder's path and its files' sizes, modification
 * times and modes skips even the packing and hashing when nothing changed (the server is still
 * asked whether it has the input). `tokens` (the caller's API token, see tokensToRefuse) are looked
 * for in every file while it is packed and hashed (one read); a cache hit is reused only when its
 * entry records a clean scan for these tokens (their digest), else the files are scanned again.
 *
 * @throws ConfigError (code `input`) when the folder does not exist or is not a folder.
 * @throws TokenInUploadError naming the first file (relative to the folder) that holds a token.
 */
export async function stageInput(
  input: string | undefined,
  api: ApiClient,
  options: { showProgress: boolean; env: Record<string, string | undefined>; tokens?: readonly string[] },
): Promise<StagedInput> {
  if (!input) return done({ ref: null, outcome: 'none' });
  const source = parseInputUri(input);
  if (source.kind === 'input_id') return done({ ref: { kind: 'input', sha256: source.sha256 }, outcome: 'referenced' });
  if (source.kind === 'execution') return done({ ref: { kind: 'execution_output', execution_id: source.executionId }, outcome: 'referenced' });
  const root = path.resolve(source.path);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ConfigError(`input folder ${root} (from "input") does not exist or is not a folder`, 'create it, or change "input" in plz.config.json (file://PATH is relative to that file)', 'input');

  const tokens = options.tokens ?? [];
  const scanKey = tokens.length ? tokensDigest(tokens) : undefined;
  const what = `the input ${input}`;
  const entries = listContext(root, { excludedPaths: [], includedPaths: [], excludeGitignored: false });
  const fingerprint = inputFingerprint(root, entries);
  const cachePath = cacheFile(options.env);
  const cache = readCache(cachePath);
  const writeEntry = (sha256: string, cleanFor: readonly string[]): void => {
    cache[root] = { fingerprint, sha256, clean_for: [...new Set(cleanFor)].slice(-cleanForKept) };
    mkdirSync(path.dirname(cachePath), { recursive: true });
    writeFileSync(cachePath, JSON.stringify(cache, null, 2));
  };
  const cached = cache[root];
  const sameFiles = cached?.fingerprint === fingerprint;
  if (cached && sameFiles) {
    if (scanKey && !cached.clean_for?.includes(scanKey)) {
      await scanFiles(root, entries, tokens, what); // a full read, but no packing or hashing
      writeEntry(cached.sha256, [...(cached.clean_for ?? []), scanKey]);
    }
    const head = await api.request('HEAD', `/api/v1/inputs/${cached.sha256}`, { accept: [404] });
    if (head.status !== 404) return done({ ref: { kind: 'input', sha256: cached.sha256 }, outcome: 'reused' });
  }
  // Two reads, no copy: the tar is hashed (and scanned) here, then packed again straight into the
  // upload, which the server stores only when its sha256 matches (a file changed in between fails it).
  const total = contentBytes(root, entries);
  const bar = progress('hashing input', total, options.showProgress);
  let archive: { sha256: string; bytes: number };
  try {
    archive = await hashArchive(root, entries, { gzip: false, onProgress: (n) => bar.tick(n), scan: { tokens, what } });
  } finally {
    bar.stop();
  }
  const previous = sameFiles ? (cache[root]?.clean_for ?? []) : [];
  return {
    async upload() {
      let uploaded: boolean;
      try {
        uploaded = await uploadIfMissing(api, 'inputs', archive.sha256, () => openArchive(root, entries, { gzip: false }), archive.bytes, options.showProgress);
      } catch (error) {
        if (error instanceof ApiClientError && error.code === 'hash_mismatch') {
          throw new ConfigError(`the input folder ${root} changed while it was uploaded: nothing was stored`, 'run again once nothing writes to it', 'input');
        }
        throw error;
      }
      writeEntry(archive.sha256, scanKey ? [...previous, scanKey] : previous);
      return { ref: { kind: 'input', sha256: archive.sha256 }, outcome: uploaded ? 'uploaded' : 'present', bytes: archive.bytes };
    },
    dispose: () => undefined,
  };
}

/**
 * stageInput and its upload in one step (the input is uploaded at once).
 *
 * @throws as stageInput.
 */
export async function prepareInput(
  input: string | undefined,
  api: ApiClient,
  options: { showProgress: boolean; env: Record<string, string | undefined>; tokens?: readonly string[] },
): Promise<PreparedInput> {
  const staged = await stageInput(input, api, options);
  try {
    return await staged.upload();
  } finally {
    staged.dispose();
  }
}

import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { TokenInUploadError } from '../errors.js';

/**
 * Finds any of a few strings (the caller's API token) in a stream of chunks without holding more
 * than one chunk: each chunk is searched on its own, and the seam with the chunk before it (the
 * last `longest - 1` bytes kept from the previous chunk and the first `longest - 1` of this one),
 * so a token split across two chunks (or several small ones) is found too.
 */
export class TokenScanner {
  private readonly needles: Buffer[];
  private readonly keep: number;
  private tail = Buffer.alloc(0);
  /** True once a needle was seen (it stays true until reset). */
  found = false;

  /** @param tokens the strings to look for (UTF-8); empty strings are left out. */
  constructor(tokens: readonly string[]) {
    this.needles = [...new Set(tokens.filter((token) => token.length > 0))].map((token) => Buffer.from(token, 'utf8'));
    this.keep = Math.max(0, ...this.needles.map((needle) => needle.length - 1));
  }

  /** Whether there is anything to look for. */
  get active(): boolean {
    return this.needles.length > 0;
  }

  /** Feeds the next chunk of the current file. */
  update(chunk: Buffer): void {
    if (this.found || !this.active) return;
    const seam = this.tail.length ? Buffer.concat([this.tail, chunk.subarray(0, this.keep)]) : undefined;
    for (const needle of this.needles) {
      if (chunk.includes(needle) || (seam && seam.length >= needle.length && seam.includes(needle))) {
        this.found = true;
        return;
      }
    }
    // The next seam needs the last `keep` bytes of everything so far (this chunk may be shorter).
    this.tail = chunk.length >= this.keep ? Buffer.from(chunk.subarray(chunk.length - this.keep)) : Buffer.concat([this.tail, chunk]).subarray(-this.keep);
  }

  /** Starts a new file (a token cannot span two files). */
  reset(): void {
    this.found = false;
    this.tail = Buffer.alloc(0);
  }

  /** Scans a whole string or buffer (a generated file, a link target) on its own. */
  contains(content: string | Buffer): boolean {
    this.reset();
    this.update(Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'));
    const found = this.found;
    this.reset();
    return found;
  }
}

/**
 * The strings a snapshot or an input must not contain: the token the CLI sends (`token` of the
 * merged configuration) and `PLZ_TOKEN` as it is set, when it differs (with surrounding blanks
 * trimmed, both ways). Empty when there is no token.
 */
export function tokensToRefuse(token: string | undefined, env: Record<string, string | undefined>): string[] {
  const candidates = [token, env['PLZ_TOKEN'], env['PLZ_TOKEN']?.trim(), token?.trim()];
  return [...new Set(candidates.filter((value): value is string => typeof value === 'string' && value.length > 0))];
}

/**
 * A stable digest of the tokens a scan looked for (sha256 of them, sorted, in hex), so a cache
 * can remember that files held none of them without storing the tokens themselves.
 */
export function tokensDigest(tokens: readonly string[]): string {
  const hash = createHash('sha256').update('plz-token-scan\0');
  for (const token of [...tokens].sort()) hash.update(`${token}\0`);
  return hash.digest('hex');
}

/**
 * Reads the regular files among `entries` (paths relative to `root`, as listContext returns
 * them), streamed chunk by chunk, and the targets of symbolic links, looking for the tokens.
 * Used where no archive is packed (a cached input checked against a token it was not checked
 * for); packArchive scans while it packs, so a packed upload costs no second read.
 *
 * @throws TokenInUploadError naming the first file (in `entries` order) that holds one.
 */
export async function scanFiles(root: string, entries: readonly string[], tokens: readonly string[], what: string): Promise<void> {
  const scanner = new TokenScanner(tokens);
  if (!scanner.active) return;
  for (const entry of entries) {
    const abs = path.join(root, entry);
    const stat = lstatSync(abs);
    if (stat.isSymbolicLink() && scanner.contains(readlinkSync(abs))) throw new TokenInUploadError(what, entry);
    if (!stat.isFile()) continue;
    scanner.reset();
    for await (const chunk of createReadStream(abs)) {
      scanner.update(chunk as Buffer);
      if (scanner.found) throw new TokenInUploadError(what, entry);
    }
  }
}

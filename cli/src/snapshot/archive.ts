import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable} from 'node:stream';
import { PassThrough, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { TokenInUploadError } from '../errors.js';
import { TokenScanner } from './scan.js';

/** A packed archive on disk and its content address. */
export interface PackedArchive {
  file: string;
  /** sha256 of the archive's bytes: 64 lowercase hex digits. */
  sha256: string;
  bytes: number;
  /** Removes the temporary folder holding `file`. */
  dispose(): void;
}

/** Temporary folders of archives not yet disposed (removed on Ctrl-C: removeTemporaryArchives). */
const temporaryFolders = new Set<string>();

/** Removes every archive's temporary folder still there (at Ctrl-C, before exiting). */
export function removeTemporaryArchives(): void {
  for (const dir of temporaryFolders) rmSync(dir, { recursive: true, force: true });
  temporaryFolders.clear();
}

/** Every entry gets this modification time, so the same files always give the same bytes. */
const fixedMtime = new Date('2000-01-01T00:00:00Z');

/** What packArchive, hashArchive and openArchive take besides the folder and its entries. */
export interface ArchiveOptions {
  gzip: boolean;
  extraFiles?: Readonly<Record<string, string>>;
  onProgress?: (bytes: number) => void;
  scan?: { tokens: readonly string[]; what: string };
}

/**
 * Streams a deterministic tar (gzip-compressed when `gzip`) of `entries` (paths relative to `root`,
 * folders with a trailing '/', as `listContext` returns them) plus `extraFiles` (name → content,
 * at the archive root, replacing a context file of the same name) into `sink`, which it ends.
 * Entries are sorted by name; owner and group are 0 with no names, every time is 2000-01-01;
 * permission bits are kept (an executable stays executable); symbolic links are stored as links.
 * The same files always give the same bytes, so packing twice gives the same sha256.
 *
 * `onProgress` hears the bytes of each file read (for a progress bar: see contentBytes).
 *
 * `scan.tokens` (the caller's API token): every file's bytes are searched while they are packed
 * (the same single read; see TokenScanner), and so are `extraFiles` and link targets.
 *
 * @returns the archive's sha256 (64 lowercase hex digits) and size in bytes.
 * @throws TokenInUploadError (`scan.what`, the entry's name) at the first entry, in name order,
 *   that holds a token.
 * @throws Error naming the folder and the cause when an entry cannot be read or `sink` fails.
 */
async function writeArchive(root: string, entries: readonly string[], options: ArchiveOptions, sink: Writable): Promise<{ sha256: string; bytes: number }> {
  const extras = options.extraFiles ?? {};
  const names = [...new Set([...entries.filter((entry) => !(entry in extras)), ...Object.keys(extras)])].sort();
  const scanner = new TokenScanner(options.scan?.tokens ?? []);
  const refuse = (name: string): never => {
    throw new TokenInUploadError(options.scan?.what ?? 'the archive', name);
  };
  const pack = tar.pack();
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const written = pipeline(pack, options.gzip ? createGzip({ level: 6 }) : new PassThrough(), measure, sink);
  try {
    for (const name of names) {
      const common = { name, mtime: fixedMtime, uid: 0, gid: 0, uname: '', gname: '' };
      const extra = extras[name];
      if (extra !== undefined) {
        if (scanner.contains(extra)) refuse(name);
        pack.entry({ ...common, mode: 0o644, type: 'file' }, extra);
        continue;
      }
      const abs = path.join(root, name);
      const stat = lstatSync(abs);
      const mode = stat.mode & 0o7777;
      if (stat.isDirectory()) {
        pack.entry({ ...common, name: name.replace(/\/?$/, '/'), mode, type: 'directory' });
      } else if (stat.isSymbolicLink()) {
        const linkname = readlinkSync(abs);
        if (scanner.contains(linkname)) refuse(name);
        pack.entry({ ...common, mode, type: 'symlink', linkname });
      } else if (stat.isFile()) {
        const entry = pack.entry({ ...common, mode, type: 'file', size: stat.size });
        // 1 MiB reads (the default is 64 KiB): a sixteenth of the chunks through the tar stream, the hash and the scan
        const read = createReadStream(abs, { highWaterMark: 1024 * 1024 });
        if (options.onProgress) read.on('data', (chunk) => options.onProgress?.(chunk.length));
        scanner.reset();
        if (scanner.active) {
          read.on('data', (chunk) => {
            scanner.update(chunk as Buffer);
            if (scanner.found) read.destroy(new TokenInUploadError(options.scan?.what ?? 'the archive', name));
          });
        }
        await pipeline(read, entry);
      }
      // sockets, fifos and devices are not part of a snapshot
    }
    pack.finalize();
    await written;
    return { sha256: hash.digest('hex'), bytes };
  } catch (error) {
    const reported = error instanceof TokenInUploadError ? error : new Error(`packing ${root}: ${(error as Error).message}`);
    pack.destroy(reported); // the sink (an upload's body) fails with this error, not a "premature close"
    await written.catch(() => undefined); // its own error is this one, or a consequence of it
    throw reported;
  }
}

/**
 * Packs `entries` of `root` (see writeArchive for the archive's form, the scan and progress)
 * into a temporary file.
 *
 * @returns the archive in a temporary folder, with its sha256 and size in bytes.
 * @throws as writeArchive; the archive is removed.
 */
export async function packArchive(root: string, entries: readonly string[], options: ArchiveOptions): Promise<PackedArchive> {
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-archive-'));
  temporaryFolders.add(dir);
  const dispose = () => {
    rmSync(dir, { recursive: true, force: true });
    temporaryFolders.delete(dir);
  };
  const file = path.join(dir, options.gzip ? 'archive.tar.gz' : 'archive.tar');
  try {
    const { sha256, bytes } = await writeArchive(root, entries, options, createWriteStream(file));
    return { file, sha256, bytes, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/**
 * The sha256 and size of the archive that packArchive would write, without writing it anywhere
 * (one read of the files; for large inputs, which openArchive then packs again into the upload).
 *
 * @throws as writeArchive.
 */
export function hashArchive(root: string, entries: readonly string[], options: ArchiveOptions): Promise<{ sha256: string; bytes: number }> {
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return writeArchive(root, entries, options, discard);
}

/**
 * The archive of `entries` packed again, as a stream (a second read of the files, with
 * backpressure: nothing is held beyond the streams' buffers). Its bytes equal hashArchive's
 * when no file changed in between; the server's sha256 check refuses the upload otherwise.
 * A read error destroys the stream with the error of writeArchive.
 */
export function openArchive(root: string, entries: readonly string[], options: Omit<ArchiveOptions, 'scan'>): Readable {
  const out = new PassThrough();
  writeArchive(root, entries, options, out).catch((error: unknown) => out.destroy(error as Error));
  return out;
}

/** Bytes of the regular files among `entries` (what packArchive's onProgress counts up to). */
export function contentBytes(root: string, entries: readonly string[]): number {
  let total = 0;
  for (const entry of entries) {
    const stat = lstatSync(path.join(root, entry));
    if (stat.isFile()) total += stat.size;
  }
  return total;
}

/** sha256 of a file's bytes, streamed (64 lowercase hex digits). */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

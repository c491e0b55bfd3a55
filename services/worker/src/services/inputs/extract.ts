import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, link, lstat, mkdir, readdir, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** Raised when an input archive cannot be used: a bad entry, a tar error, or bytes that do not match its sha256. */
export class InputArchiveError extends Error {}

/** What one extraction wrote: bytes of regular files, and entries (files, folders, links). */
export interface ExtractedInput {
  bytes: number;
  entries: number;
}

/**
 * A tar entry's name, checked and made relative to the destination: `./` prefixes and trailing
 * slashes dropped, `.` components removed. Refused (undefined): NUL bytes, absolute names, `..`
 * components. The root itself (`./`) gives ''.
 */
export function inputEntryName(name: string): string | undefined {
  if (name.includes('\0') || name.startsWith('/')) return undefined;
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return undefined;
  return parts.join('/');
}

/**
 * Whether a symbolic link at `linkPath` (relative to the input's root) pointing to `target` stays
 * inside the input: the target must be relative and, resolved from the link's folder, neither
 * leave the root nor be the root's parent. Absolute targets are refused (in the job they would
 * name the job's own files, but the worker never follows them on the host either).
 */
export function symlinkInside(linkPath: string, target: string): boolean {
  if (target === '' || target.includes('\0') || target.startsWith('/')) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/** Largest folder depth walked when making an extracted input read-only (a guard, far beyond real inputs). */
const maxDepth = 256;

/**
 * Makes a folder tree read-only for everyone but still readable: folders 0555, files 0444, or
 * 0555 when the archive gave them an execute bit. Links are left alone (their mode is not used).
 */
export async function makeReadOnly(folder: string, executables: ReadonlySet<string>, root = folder, depth = 0): Promise<void> {
  if (depth > maxDepth) throw new InputArchiveError(`the input is nested more than ${maxDepth} folders deep`);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) await makeReadOnly(full, executables, root, depth + 1);
    else if (entry.isFile()) await chmod(full, executables.has(path.relative(root, full)) ? 0o555 : 0o444);
  }
  await chmod(folder, 0o555);
}

/**
 * Removes a folder tree that makeReadOnly locked (folders are made writable first, so that an
 * unprivileged worker can unlink their files). Missing: nothing to do.
 */
export async function removeTree(folder: string): Promise<void> {
  const unlock = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755).catch(() => undefined);
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await unlock(path.join(dir, entry.name));
    }
  };
  await unlock(folder);
  await rm(folder, { recursive: true, force: true });
}

/**
 * Extracts an input archive (a plain tar, as `plz-inputs/<sha256>.tar`: entries relative to the
 * input folder, as the CLI packs them, cli/src/snapshot/archive.ts) into `destination` (an empty,
 * existing folder), while hashing the bytes read: the extraction fails unless they hash to
 * `sha256`, so a truncated or altered object is never used. Checked before anything is written
 * (ARCHITECTURE.md §6): names (no absolute path, no `..`, no NUL), symbolic links (relative and
 * inside the input, see symlinkInside), hard links (to a file extracted before), parent folders
 * (resolved on disk, never outside `destination`: a link cannot be written through to elsewhere),
 * no existing path overwritten; devices, FIFOs and other special entries are refused. Modes are
 * not taken from the archive: see makeReadOnly (called afterwards by the cache).
 *
 * @returns bytes of the regular files and the number of entries, and the relative paths of files
 *   with an execute bit.
 * @throws InputArchiveError for an archive that must not be used; the stream's or the file
 *   system's error otherwise. On any error `destination` may hold part of the input: the caller
 *   removes it.
 */
export async function extractInput(archive: Readable, destination: string, sha256: string): Promise<ExtractedInput & { executables: Set<string> }> {
  const root = await realpath(destination);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const extract = tar.extract();
  const reading = pipeline(archive, hashing, extract).catch((error: unknown) => error as Error);
  const executables = new Set<string>();
  let bytes = 0;
  let entries = 0;
  const within = (resolved: string) => resolved === root || resolved.startsWith(`${root}${path.sep}`);
  // The path to write `relative` at, its folders made one at a time: each existing one (a link
  // planted by an earlier entry included) is resolved on disk first and must stay inside.
  const inside = async (relative: string): Promise<string> => {
    let current = root;
    for (const part of path.posix.dirname(relative).split('/').filter((item) => item !== '' && item !== '.')) {
      const next = path.join(current, part);
      const found = await lstat(next).catch(() => undefined);
      if (!found) {
        await mkdir(next);
        current = next;
        continue;
      }
      const resolved = found.isSymbolicLink() ? await realpath(next).catch(() => undefined) : next;
      if (!resolved || !within(resolved)) throw new InputArchiveError(`input entry ${JSON.stringify(relative)} would be written outside the input (through a link)`);
      if (!(await lstat(resolved)).isDirectory()) throw new InputArchiveError(`input entry ${JSON.stringify(relative)} is under a path that is not a folder`);
      current = resolved;
    }
    return path.join(current, path.posix.basename(relative));
  };
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const name = inputEntryName(header.name);
      if (name === undefined) throw new InputArchiveError(`input entry ${JSON.stringify(header.name)} is refused (absolute, "..", or NUL)`);
      entries += 1;
      if (name === '') {
        entry.resume();
        continue;
      }
      if (header.type === 'directory') {
        entry.resume();
        const target = await inside(name);
        const existing = await lstat(target).catch(() => undefined);
        if (existing && !existing.isDirectory()) throw new InputArchiveError(`input entry ${JSON.stringify(header.name)}: a folder over another entry`);
        if (!existing) await mkdir(target);
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        const target = await inside(name);
        // 'wx': never follows or replaces an existing path (a link planted by an earlier entry)
        await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o644 }));
        bytes += header.size ?? 0;
        if (((header.mode ?? 0) & 0o111) !== 0) executables.add(name);
      } else if (header.type === 'symlink') {
        entry.resume();
        const linkname = header.linkname ?? '';
        if (!symlinkInside(name, linkname)) throw new InputArchiveError(`input entry ${JSON.stringify(header.name)} links outside the input (${JSON.stringify(linkname)})`);
        await symlink(linkname, await inside(name));
      } else if (header.type === 'link') {
        entry.resume();
        const targetName = inputEntryName(header.linkname ?? '');
        if (!targetName) throw new InputArchiveError(`input entry ${JSON.stringify(header.name)} is a hard link to a refused path`);
        const source = await inside(targetName);
        const stat = await lstat(source).catch(() => undefined);
        if (!stat?.isFile()) throw new InputArchiveError(`input entry ${JSON.stringify(header.name)} is a hard link to ${JSON.stringify(header.linkname)}, not an earlier file of the input`);
        await link(source, await inside(name));
      } else {
        entry.resume();
        throw new InputArchiveError(`input entry ${JSON.stringify(header.name)} is a ${header.type ?? 'special'} entry, which inputs cannot hold`);
      }
    }
  } catch (error) {
    extract.destroy();
    archive.destroy();
    await reading;
    if (error instanceof InputArchiveError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new InputArchiveError(`the input archive holds a path twice: ${(error as Error).message}`);
    throw error;
  }
  const failure = await reading;
  if (failure) {
    if (/Unexpected end of data|Invalid tar header|premature close/i.test(failure.message)) throw new InputArchiveError(`the input archive is not a complete tar: ${failure.message}`);
    throw failure;
  }
  const actual = hash.digest('hex');
  if (actual !== sha256) throw new InputArchiveError(`the input's bytes hash to ${actual}, not to its name ${sha256}: the stored object is damaged`);
  return { bytes, entries, executables };
}

/** Removes a folder and all in it, ignoring a missing one (for temporary extraction folders). */
export const discard = (folder: string): Promise<void> => removeTree(folder).catch(() => undefined);

/** Names of temporary extraction folders: the sha256, the process id and a random suffix, so that none collide. */
export const temporaryName = (sha256: string): string => `${sha256}.${process.pid}.${randomBytes(6).toString('hex')}`;

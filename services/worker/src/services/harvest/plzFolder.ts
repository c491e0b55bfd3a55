import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';
import type { Header } from 'tar-stream';
import type { EntryContent } from '../archive/entryPath.js';
import { summaryRoot } from '../measures/read.js';
import type { EntrySink, PlzSinks } from './plzArchive.js';

/** Bytes read from a file at a time. */
const chunkBytes = 256 * 1024;

/**
 * The tar type of what lstat found (tar-stream's names); undefined for a socket, which tar has no
 * type for (Docker's archive leaves sockets out too).
 */
function typeOf(info: Stats): Header['type'] | undefined {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFIFO()) return 'fifo';
  if (info.isCharacterDevice()) return 'character-device';
  if (info.isBlockDevice()) return 'block-device';
  return undefined;
}

/**
 * The content of the regular file `file` of `size` bytes, read only when iterated (a sink that
 * skips the entry calls `resume()`, which reads nothing): opened with O_NOFOLLOW | O_NONBLOCK and
 * checked to be the regular file lstat saw (same device and inode), at most `size` bytes.
 *
 * @throws Error when the file changed into something else since it was listed.
 */
function lazyContent(file: string, info: Stats): EntryContent {
  return {
    resume: () => undefined,
    async *[Symbol.asyncIterator]() {
      const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const opened = await handle.stat();
        if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) throw new Error(`${file} changed while it was read`);
        let left = info.size;
        while (left > 0) {
          const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, left));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          left -= bytesRead;
          yield buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    },
  };
}

const nothing: EntryContent = { resume: () => undefined, async *[Symbol.asyncIterator]() {} };

/**
 * Hands `sink` the tree at `dir/name` as tar entries named `name`, `name/…` (folders with a
 * trailing `/`), in the order Docker's archive has them (each folder's names sorted): lstat only,
 * so a symbolic link is an entry with its `linkname` and never followed, and a FIFO, socket or
 * device is an entry of its type with no content, never opened (a socket is left out).
 */
async function walk(dir: string, name: string, sink: EntrySink): Promise<void> {
  const file = path.join(dir, name);
  const info = await lstat(file);
  const type = typeOf(info);
  if (!type) return;
  const header: Header = {
    name: type === 'directory' ? `${name}/` : name,
    type,
    size: type === 'file' ? info.size : 0,
    mode: info.mode & 0o7777,
    mtime: info.mtime,
    linkname: type === 'symlink' ? await readlink(file) : '',
    uid: info.uid,
    gid: info.gid,
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  };
  await sink.entry(header, type === 'file' ? lazyContent(file, info) : nothing);
  if (type !== 'directory') return;
  for (const child of (await readdir(file)).sort()) await walk(dir, `${name}/${child}`, sink);
}

/**
 * Reads the output, the measures and the summary of an exited job from its folder on the worker's
 * volume (container/plzFolders.ts: `output`, `measures`, and `summary` holding `summary.json`),
 * handing each entry to its part's sink named as in Docker's archive of that part (`output/…`,
 * `measures/…`, `summary.json…`: readPlzOnce gives the same), with no Docker request. Whatever else
 * the job left in its summary folder is not read. The job can no longer change the folder (its
 * container has exited), and nothing in it is followed: links are entries, files are opened with
 * O_NOFOLLOW and must be the files listed.
 *
 * @param dir the folder as the worker sees it (PlzFolder.dir).
 * @returns `read`, or `absent` when `dir` is not a folder.
 * @throws a file system error, or a sink's.
 */
export async function readPlzFolder(dir: string, sinks: PlzSinks): Promise<'read' | 'absent'> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return 'absent';
  await readPlzFolderPart(dir, 'measures', sinks.measures);
  await readPlzFolderPart(dir, 'output', sinks.output);
  await readPlzFolderPart(dir, 'summary', sinks.summary);
  return 'read';
}

/**
 * One part of readPlzFolder on its own (a part read again after a failure, e.g. the output while
 * MinIO was down): `output` and `measures` as `output/…` and `measures/…`, `summary` as
 * `summary.json…` (its folder's `summary.json`); nothing when the part is absent.
 *
 * @throws a file system error, or the sink's.
 */
export async function readPlzFolderPart(dir: string, part: 'output' | 'measures' | 'summary', sink: EntrySink): Promise<void> {
  const present = async (base: string, name: string) => (await lstat(path.join(base, name)).catch(() => undefined)) !== undefined;
  if (part !== 'summary') {
    if (await present(dir, part)) await walk(dir, part, sink);
    return;
  }
  const summaries = path.join(dir, 'summary');
  if ((await lstat(summaries).catch(() => undefined))?.isDirectory() && (await present(summaries, summaryRoot))) await walk(summaries, summaryRoot, sink);
}

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Header } from 'tar-stream';
import type { EntryContent } from '../archive/entryPath.js';
import { entryPath } from '../archive/entryPath.js';
import { measuresObject, parseMeasureContent, type MeasureFile } from './parse.js';

/** Start of the skip reason of a measure file left unread for the measures cap. */
export const measuresCapReason = 'past the measures cap JOB_MEASURES_MAX_BYTES';

/**
 * Reads the regular files of a folder as measure files, entry by entry of a tar whose entries start
 * with `root`, the folder's base name (Docker's archive of the folder, GET /containers/{id}/archive,
 * or that folder's entries of an archive of `/plz`). Files over `maxFileBytes`, links and entries
 * with unsafe paths are skipped and reported to `onSkip`; so are files that would take the bytes
 * read past `maxTotalBytes` (JOB_MEASURES_MAX_BYTES; smaller later files may still fit), with a
 * reason starting with `measuresCapReason`: those are never read, only skipped over.
 */
export class MeasureFilesReader {
  /** The files read so far, in archive order. */
  readonly files: MeasureFile[] = [];
  #total = 0;

  constructor(
    private readonly root: string,
    private readonly maxFileBytes: number,
    private readonly onSkip: (path: string, reason: string) => void,
    private readonly maxTotalBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Takes one tar entry (its header and its content, read to its end or skipped here). */
  async entry(header: Header, content: EntryContent): Promise<void> {
    const { name, type, size = 0, mtime } = header;
    const { root, maxFileBytes, onSkip } = this;
    const checked = entryPath(name, root);
    if (type !== 'file' || !checked.ok || size > maxFileBytes) {
      if (!checked.ok) onSkip(name, checked.reason);
      else if (type === 'file') onSkip(checked.path || root, `larger than ${maxFileBytes} bytes`);
      else if (type !== 'directory') onSkip(checked.path, `a ${type ?? 'special file'}, not a file`);
      content.resume();
      return;
    }
    if (this.#total + size > this.maxTotalBytes) {
      onSkip(checked.path || root, `${measuresCapReason} (${this.maxTotalBytes} bytes): not read`);
      content.resume();
      return;
    }
    this.#total += size;
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    this.files.push({ path: checked.path, content: Buffer.concat(chunks).toString('utf8'), mtimeMs: (mtime ?? new Date()).getTime() });
  }
}

/**
 * Reads the regular files of a folder archived by Docker (GET /containers/{id}/archive; entries
 * start with `root`, the folder's base name) as measure files: MeasureFilesReader over each entry.
 */
export async function readMeasureFiles(
  archive: Readable,
  root: string,
  maxFileBytes: number,
  onSkip: (path: string, reason: string) => void,
  maxTotalBytes = Number.POSITIVE_INFINITY,
): Promise<MeasureFile[]> {
  const reader = new MeasureFilesReader(root, maxFileBytes, onSkip, maxTotalBytes);
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  for await (const entry of extract) await reader.entry(entry.header, entry);
  await reading;
  return reader.files;
}

/**
 * The summary from the archive of `/plz/summary.json`: a file's content parsed as JSON, or, when
 * the job made it a folder, its files nested like measures. Undefined timestamp when empty.
 */
export async function readSummary(archive: Readable, maxFileBytes: number, onSkip: (path: string, reason: string) => void): Promise<{ summary: unknown; mtimeMs: number } | undefined> {
  return summaryOf(await readMeasureFiles(archive, summaryRoot, maxFileBytes, onSkip));
}

/** The base name of the summary (`/plz/summary.json`): the root of its archive's entries. */
export const summaryRoot = 'summary.json';

/**
 * The summary from the files read under `summary.json` (MeasureFilesReader with root summaryRoot):
 * a file's content parsed as JSON, or, when the job made it a folder, its files nested like
 * measures (the latest modification time); undefined when there is none.
 */
export function summaryOf(files: readonly MeasureFile[]): { summary: unknown; mtimeMs: number } | undefined {
  const single = files.find((file) => file.path === '');
  if (single) return { summary: parseMeasureContent(single.content), mtimeMs: single.mtimeMs };
  if (files.length === 0) return undefined;
  return { summary: measuresObject(files), mtimeMs: Math.max(...files.map((file) => file.mtimeMs)) };
}

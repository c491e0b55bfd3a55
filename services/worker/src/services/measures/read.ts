import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { entryPath } from '../archive/entryPath.js';
import { measuresObject, parseMeasureContent, type MeasureFile } from './parse.js';

/** Start of the skip reason of a measure file left unread for the measures cap. */
export const measuresCapReason = 'past the measures cap JOB_MEASURES_MAX_BYTES';

/**
 * Reads the regular files of a folder archived by Docker (GET /containers/{id}/archive; entries
 * start with `root`, the folder's base name) as measure files. Files over `maxFileBytes`, links
 * and entries with unsafe paths are skipped and reported to `onSkip`; so are files that would take
 * the bytes read past `maxTotalBytes` (JOB_MEASURES_MAX_BYTES; smaller later files may still fit),
 * with a reason starting with `measuresCapReason`.
 */
export async function readMeasureFiles(
  archive: Readable,
  root: string,
  maxFileBytes: number,
  onSkip: (path: string, reason: string) => void,
  maxTotalBytes = Number.POSITIVE_INFINITY,
): Promise<MeasureFile[]> {
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  const files: MeasureFile[] = [];
  let total = 0;
  for await (const entry of extract) {
    const { name, type, size = 0, mtime } = entry.header;
    const checked = entryPath(name, root);
    if (type !== 'file' || !checked.ok || size > maxFileBytes) {
      if (!checked.ok) onSkip(name, checked.reason);
      else if (type === 'file') onSkip(checked.path || root, `larger than ${maxFileBytes} bytes`);
      else if (type !== 'directory') onSkip(checked.path, `a ${type ?? 'special file'}, not a file`);
      entry.resume();
      continue;
    }
    if (total + size > maxTotalBytes) {
      onSkip(checked.path || root, `${measuresCapReason} (${maxTotalBytes} bytes): not read`);
      entry.resume();
      continue;
    }
    total += size;
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    files.push({ path: checked.path, content: Buffer.concat(chunks).toString('utf8'), mtimeMs: (mtime ?? new Date()).getTime() });
  }
  await reading;
  return files;
}

/**
 * The summary from the archive of `/plz/summary.json`: a file's content parsed as JSON, or, when
 * the job made it a folder, its files nested like measures. Undefined timestamp when empty.
 */
export async function readSummary(archive: Readable, maxFileBytes: number, onSkip: (path: string, reason: string) => void): Promise<{ summary: unknown; mtimeMs: number } | undefined> {
  const files = await readMeasureFiles(archive, 'summary.json', maxFileBytes, onSkip);
  const single = files.find((file) => file.path === '');
  if (single) return { summary: parseMeasureContent(single.content), mtimeMs: single.mtimeMs };
  if (files.length === 0) return undefined;
  return { summary: measuresObject(files), mtimeMs: Math.max(...files.map((file) => file.mtimeMs)) };
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Header } from 'tar-stream';
import type { EntryContent } from '../archive/entryPath.js';
import { artifactPaths, buckets, containerPaths } from '@plz/contracts';
import type { DockerContainers } from '../../adapters/docker/containers.js';
import type { ObjectStore } from '../../adapters/s3/objects.js';
import { entryPath, linkTarget } from '../archive/entryPath.js';

export interface OutputsResult {
  /** Files kept (uploaded, link copies included) and their bytes. */
  files: number;
  bytes: number;
  skipped: number;
  /** Bytes of every file of the output, kept or not (link copies included). */
  totalBytes: number;
  /** Files left out because they did not fit under the cap, in archive order. */
  leftOut: Array<{ path: string; bytes: number }>;
}

/**
 * Uploads the files of the job's output folder as run artifacts, entry by entry of a tar whose
 * entries start with `output` (Docker's archive of `/plz/output`, or the `output/` entries of an
 * archive of `/plz`): each file streamed to `mlflow/<artifact root>/output/<path>` (multipart for
 * large files; never held whole). Entry names are checked (no absolute path, no `..`, nothing
 * outside output/). Links inside the folder become copies of their target (at `finish`); links
 * leaving it and special files are skipped. Each skip is reported to `onSkip`.
 *
 * Cap (`maxBytes`, JOB_OUTPUT_MAX_BYTES): a file (or link copy) is kept when it fits in what is left
 * under the cap, else left out and listed in `leftOut`; later smaller files may still fit. Every
 * entry is read to its end either way, so `totalBytes` is the whole output's size.
 */
export class OutputUploader {
  readonly #result: OutputsResult = { files: 0, bytes: 0, skipped: 0, totalBytes: 0, leftOut: [] };
  readonly #uploaded = new Map<string, number>();
  readonly #links: Array<{ path: string; target: string }> = [];

  /** @param artifactRoot the run's artifact root in the `mlflow` bucket (`<exp>/<run>/artifacts`). */
  constructor(
    private readonly objects: ObjectStore,
    private readonly artifactRoot: string,
    private readonly onSkip: (path: string, reason: string) => void,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  #keyOf(path: string): string {
    return `${this.artifactRoot}/${artifactPaths.output}/${path}`;
  }

  #skip(path: string, reason: string): void {
    this.#result.skipped += 1;
    this.onSkip(path, reason);
  }

  #fits(path: string, bytes: number): boolean {
    this.#result.totalBytes += bytes;
    if (this.#result.bytes + bytes <= this.maxBytes) return true;
    this.#result.leftOut.push({ path, bytes });
    return false;
  }

  /** Takes one tar entry (its header and its content, read to its end here). */
  async entry(header: Header, content: EntryContent): Promise<void> {
    const { name, type, size = 0, linkname } = header;
    const result = this.#result;
    const checked = entryPath(name, 'output');
    if (!checked.ok) {
      this.#skip(name, checked.reason);
      content.resume();
      return;
    }
    const path = checked.path;
    if (type === 'file' || type === 'contiguous-file') {
      if (path === '') {
        this.#skip('output', 'the output is a file, not a folder');
        content.resume();
        return;
      }
      if (!this.#fits(path, size)) {
        content.resume();
        return;
      }
      if (size === 0) {
        content.resume();
        await this.objects.write(buckets.mlflow, this.#keyOf(path), Buffer.alloc(0));
      } else {
        await this.objects.write(buckets.mlflow, this.#keyOf(path), Readable.from(content));
      }
      this.#uploaded.set(path, size);
      result.files += 1;
      result.bytes += size;
      return;
    }
    content.resume();
    if (type === 'directory') return;
    if ((type === 'symlink' || type === 'link') && linkname) {
      const target = linkTarget(path, linkname, type, containerPaths.output);
      if (target) this.#links.push({ path, target });
      else this.#skip(path, `a link to ${linkname}, outside the output folder`);
      return;
    }
    this.#skip(path, `a ${type ?? 'special file'}, not a file`);
  }

  /** After the last entry: the links kept as copies of their targets; the outcome. */
  async finish(): Promise<OutputsResult> {
    const result = this.#result;
    for (const link of this.#links) {
      const size = this.#uploaded.get(link.target);
      if (size === undefined) {
        const leftOut = result.leftOut.find((file) => file.path === link.target);
        if (leftOut) {
          result.totalBytes += leftOut.bytes;
          result.leftOut.push({ path: link.path, bytes: leftOut.bytes });
        } else this.#skip(link.path, `a link to ${link.target}, which is not a file of the output`);
        continue;
      }
      if (!this.#fits(link.path, size)) continue;
      await this.objects.copy(buckets.mlflow, this.#keyOf(link.target), this.#keyOf(link.path));
      this.#uploaded.set(link.path, size);
      result.files += 1;
      result.bytes += size;
    }
    return result;
  }
}

/**
 * Uploads the job's output folder as run artifacts (OutputUploader) from Docker's archive of
 * `/plz/output` (GET /containers/{id}/archive); nothing when the folder does not exist.
 *
 * @param artifactRoot the run's artifact root in the `mlflow` bucket (`<exp>/<run>/artifacts`).
 * @param maxBytes JOB_OUTPUT_MAX_BYTES (see OutputUploader).
 */
export async function uploadOutputs(
  containers: DockerContainers,
  objects: ObjectStore,
  containerId: string,
  artifactRoot: string,
  onSkip: (path: string, reason: string) => void,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<OutputsResult> {
  const uploader = new OutputUploader(objects, artifactRoot, onSkip, maxBytes);
  const archive = await containers.getArchive(containerId, containerPaths.output);
  if (!archive) return uploader.finish();
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  // Awaited after the loop; when an upload fails inside it, the pipeline's own rejection (premature
  // close) is not the error to report and must not go unhandled.
  reading.catch(() => undefined);
  for await (const entry of extract) await uploader.entry(entry.header, entry);
  await reading;
  return uploader.finish();
}

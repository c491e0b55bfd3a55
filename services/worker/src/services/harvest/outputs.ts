import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
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
 * Uploads the job's output folder as run artifacts: Docker's archive of `/plz/output` is read
 * entry by entry and each file streamed to `mlflow/<artifact root>/output/<path>` (multipart for
 * large files; never held whole). Entry names are checked (no absolute path, no `..`, nothing
 * outside output/). Links inside the folder become copies of their target; links leaving it and
 * special files are skipped. Each skip is reported to `onSkip`.
 *
 * Cap (`maxBytes`, JOB_OUTPUT_MAX_BYTES): a file (or link copy) is kept when it fits in what is left
 * under the cap, else left out and listed in `leftOut`; later smaller files may still fit. The archive
 * is read to its end either way, so `totalBytes` is the whole output's size.
 *
 * @param artifactRoot the run's artifact root in the `mlflow` bucket (`<exp>/<run>/artifacts`).
 */
export async function uploadOutputs(
  containers: DockerContainers,
  objects: ObjectStore,
  containerId: string,
  artifactRoot: string,
  onSkip: (path: string, reason: string) => void,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<OutputsResult> {
  const result: OutputsResult = { files: 0, bytes: 0, skipped: 0, totalBytes: 0, leftOut: [] };
  const fits = (path: string, bytes: number) => {
    result.totalBytes += bytes;
    if (result.bytes + bytes <= maxBytes) return true;
    result.leftOut.push({ path, bytes });
    return false;
  };
  const archive = await containers.getArchive(containerId, containerPaths.output);
  if (!archive) return result;
  const keyOf = (path: string) => `${artifactRoot}/${artifactPaths.output}/${path}`;
  const skip = (path: string, reason: string) => {
    result.skipped += 1;
    onSkip(path, reason);
  };
  const uploaded = new Map<string, number>();
  const links: Array<{ path: string; target: string }> = [];
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  // Awaited after the loop; when an upload fails inside it, the pipeline's own rejection (premature
  // close) is not the error to report and must not go unhandled.
  reading.catch(() => undefined);
  for await (const entry of extract) {
    const { name, type, size = 0, linkname } = entry.header;
    const checked = entryPath(name, 'output');
    if (!checked.ok) {
      skip(name, checked.reason);
      entry.resume();
      continue;
    }
    const path = checked.path;
    if (type === 'file' || type === 'contiguous-file') {
      if (path === '') {
        skip('output', 'the output is a file, not a folder');
        entry.resume();
        continue;
      }
      if (!fits(path, size)) {
        entry.resume();
        continue;
      }
      if (size === 0) {
        entry.resume();
        await objects.write(buckets.mlflow, keyOf(path), Buffer.alloc(0));
      } else {
        await objects.write(buckets.mlflow, keyOf(path), Readable.from(entry));
      }
      uploaded.set(path, size);
      result.files += 1;
      result.bytes += size;
      continue;
    }
    entry.resume();
    if (type === 'directory') continue;
    if ((type === 'symlink' || type === 'link') && linkname) {
      const target = linkTarget(path, linkname, type, containerPaths.output);
      if (target) links.push({ path, target });
      else skip(path, `a link to ${linkname}, outside the output folder`);
      continue;
    }
    skip(path, `a ${type ?? 'special file'}, not a file`);
  }
  await reading;
  for (const link of links) {
    const size = uploaded.get(link.target);
    if (size === undefined) {
      const leftOut = result.leftOut.find((file) => file.path === link.target);
      if (leftOut) {
        result.totalBytes += leftOut.bytes;
        result.leftOut.push({ path: link.path, bytes: leftOut.bytes });
      } else skip(link.path, `a link to ${link.target}, which is not a file of the output`);
      continue;
    }
    if (!fits(link.path, size)) continue;
    await objects.copy(buckets.mlflow, keyOf(link.target), keyOf(link.path));
    uploaded.set(link.path, size);
    result.files += 1;
    result.bytes += size;
  }
  return result;
}

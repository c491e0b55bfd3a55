import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { containerPaths } from '@plz/contracts';
import type { DockerContainers } from '../../adapters/docker/containers.js';
import type { Header } from 'tar-stream';
import type { EntryContent } from '../archive/entryPath.js';
import { summaryRoot } from '../measures/read.js';

/** Bytes of files in `/plz` other than the output, measures and summary read through before giving up on one archive. */
export const strayMaxBytes = 4 * 1024 * 1024;

/** Takes tar entries one by one (OutputUploader, MeasureFilesReader): reads each to its end or skips it. */
export interface EntrySink {
  entry(header: Header, content: EntryContent): Promise<void>;
}

/** Where the entries of each part of `/plz` go. */
export interface PlzSinks {
  output: EntrySink;
  measures: EntrySink;
  summary: EntrySink;
}

/**
 * Reads the output, the measures and the summary of an exited job container with one archive
 * request of `/plz` (GET /containers/{id}/archive?path=/plz: Docker mounts the container's file
 * system once, where three requests mount it three times), handing each entry to its part's sink
 * with the `plz/` prefix taken off (so `output/…`, `measures/…`, `summary.json…`, as in the archive
 * of each folder on its own).
 *
 * Only for an execution without input: Docker's archive includes what is mounted under the path,
 * and `/plz/input` holds the input (copied in, or the input cache's bind mount), which must not be
 * read back. Whatever else is in `/plz` (the configuration file, the empty input folder, files the
 * job wrote next to the folders) is read through and dropped, up to `strayMax` bytes in all: past
 * that, or when `/plz` is not a folder, the read stops and the caller reads each part on its own
 * (Docker writes entries in lexical order, a Go `filepath.Walk`, so a folder such as `/plz/checkpoints`
 * comes before the measures and the output). The output's and the measures' caps apply as they do
 * to each folder's own archive (the sinks apply them).
 *
 * @returns `read` when every entry was handed on; `absent` when `/plz` does not exist; `stray` when
 *   the caller must read the parts on its own (the sinks may have taken some entries already).
 * @throws Docker's or a sink's error.
 */
export async function readPlzOnce(containers: DockerContainers, containerId: string, sinks: PlzSinks, strayMax = strayMaxBytes): Promise<'read' | 'absent' | 'stray'> {
  const archive = await containers.getArchive(containerId, containerPaths.root);
  if (!archive) return 'absent';
  const root = `${containerPaths.root.slice(1)}/`;
  const extract = tar.extract();
  const reading = pipeline(archive, extract);
  // Awaited after the loop; when a sink fails or the read stops early, the pipeline's own rejection
  // (premature close) is not the error to report and must not go unhandled.
  reading.catch(() => undefined);
  let stray = 0;
  let first = true;
  for await (const entry of extract) {
    const { header } = entry;
    if (first) {
      first = false;
      if (header.type !== 'directory' || header.name !== root) {
        archive.destroy();
        return 'stray';
      }
      entry.resume();
      continue;
    }
    const name = header.name.startsWith(root) ? header.name.slice(root.length) : undefined;
    const top = name?.split('/')[0];
    const sink = top === 'output' ? sinks.output : top === 'measures' ? sinks.measures : top === summaryRoot ? sinks.summary : undefined;
    if (name !== undefined && sink) {
      await sink.entry({ ...header, name }, entry);
      continue;
    }
    stray += header.size ?? 0;
    if (stray > strayMax) {
      archive.destroy();
      return 'stray';
    }
    entry.resume();
  }
  await reading;
  return 'read';
}

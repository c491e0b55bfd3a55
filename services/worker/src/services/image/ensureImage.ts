import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buckets, jobImageTag, labels, snapshotObjectKey } from '@plz/contracts';
import type { BuildLimits, DockerImages } from '../../adapters/docker/images.js';
import { ObjectNotFoundError, type ObjectStore } from '../../adapters/s3/objects.js';
import type { ExecutionLog } from '../run/executionLog.js';
import type { ImageCache } from './cache.js';
import { caBundle } from './caCertificates.js';
import { refusal } from './baseImages.js';
import { readDockerfile, writeBuildContext } from './buildContext.js';
import { InputArchiveError } from '../inputs/extract.js';
import { DockerfileEndError } from './skeleton.js';

export interface ImageDeps {
  images: DockerImages;
  objects: ObjectStore;
  /** EXTRA_CA_CERTIFICATES_DIR (undefined: none). */
  caCertificatesDir: string | undefined;
  extraLabels: Record<string, string>;
  /** Memory, CPUs, network and time limit of the build's RUN steps. */
  buildLimits: BuildLimits;
  /**
   * The worker's cache of build contexts (services/inputs/cache.ts `readSnapshot`): a snapshot is
   * downloaded once and read from the worker's disk at the next build (none: read from MinIO).
   */
  snapshots?: { readSnapshot(sha256: string): Promise<Readable> } | undefined;
  /** Records the image's use and prunes after a build (none: nothing recorded). */
  cache?: Pick<ImageCache, 'used' | 'prune'> | undefined;
}

/** The job image of a snapshot, or why there is none (the build log is in the execution's log). */
export type ImageResult = { ok: true; tag: string; cached: boolean } | { ok: false; reason: string };

/**
 * Makes sure the job image of `snapshot` exists: reuses the image tagged `jobImageTag(snapshot)`
 * when there is one, else reads the snapshot from `plz-snapshots/<sha256>.tar.gz` (through the
 * worker's cache of build contexts when there is one: `snapshots`), writes the
 * build context to a temporary file (with the `/plz` skeleton, skeleton.ts, and the deployment's
 * CA certificates, caCertificates.ts)
 * and builds it under `buildLimits`, each output line going to the log's `build` stream. A
 * Dockerfile that starts from another execution's image (baseImages.ts `refusal`: the `plz-job`
 * repository by any name, an image id) is refused before the build. The image's use is recorded
 * first (so that a prune by another worker of the host keeps it) and again after a build, which is
 * followed by a prune of the least recently used job images (in the background, keeping this one).
 *
 * @returns `{ ok: false, reason }` for a missing snapshot, a refused Dockerfile (the reason names
 *   the instruction), a failed, timed-out or cancelled build; throws on
 *   infrastructure failures (Docker or MinIO unreachable).
 */
export async function ensureImage(deps: ImageDeps, snapshot: string, log: ExecutionLog, signal?: AbortSignal): Promise<ImageResult> {
  const tag = jobImageTag(snapshot);
  await deps.cache?.used(tag);
  if (await deps.images.exists(tag)) {
    log.system(`using the cached image ${tag}`);
    return { ok: true, tag, cached: true };
  }
  log.system(`building the image ${tag} from snapshot ${snapshot}`);
  const folder = await mkdtemp(path.join(tmpdir(), 'plz-build-'));
  try {
    const contextFile = path.join(folder, 'context.tar');
    try {
      const source = deps.snapshots ? await deps.snapshots.readSnapshot(snapshot) : await deps.objects.read(buckets.snapshots, snapshotObjectKey(snapshot));
      await writeBuildContext(source, contextFile, await caBundle(deps.caCertificatesDir));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return { ok: false, reason: `snapshot ${snapshot} is not in the object store` };
      if (error instanceof InputArchiveError) return { ok: false, reason: error.message };
      if (error instanceof DockerfileEndError) return { ok: false, reason: `snapshot ${snapshot} cannot be built: ${error.message}` };
      if (/incorrect header check|unexpected end of file|Invalid tar header|Unexpected end of data/i.test((error as Error).message)) {
        return { ok: false, reason: `snapshot ${snapshot} is not a valid tar.gz: ${(error as Error).message}` };
      }
      throw error;
    }
    const dockerfile = await readDockerfile(contextFile).catch((error: Error) => error);
    if (dockerfile instanceof Error) return { ok: false, reason: `snapshot ${snapshot} is not a valid tar.gz: ${dockerfile.message}` };
    const refused = dockerfile === undefined ? undefined : refusal(dockerfile, await deps.images.localImageIds());
    if (refused) {
      log.system(refused);
      return { ok: false, reason: `image build ${refused}` };
    }
    const result = await deps.images.build(
      createReadStream(contextFile),
      { tag, labels: { ...deps.extraLabels, [labels.snapshot]: snapshot }, limits: deps.buildLimits, ...(signal ? { signal } : {}) },
      (line) => log.build(line),
    );
    if (!result.ok) return { ok: false, reason: `image build failed: ${result.error}` };
    log.system(`built the image ${tag}`);
    await deps.cache?.used(tag);
    void deps.cache?.prune([tag]);
    return { ok: true, tag, cached: false };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

import type { DockerContainers } from '../../adapters/docker/containers.js';
import type { DockerImages, LocalImage } from '../../adapters/docker/images.js';
import type { ImageUses } from '../../adapters/redis/imageUses.js';
import type { Logger } from '../../logger.js';

/** The repository of job images (contracts `jobImageTag`). */
const jobRepository = 'plz-job';
const isJobTag = (tag: string): boolean => tag.startsWith(`${jobRepository}:`);

export interface PruneDeps {
  images: Pick<DockerImages, 'withSizes' | 'removeTag'>;
  containers: Pick<DockerContainers, 'imageIdsInUse'>;
  uses: Pick<ImageUses, 'all' | 'forget'>;
  logger: Logger;
}

export interface PruneOptions {
  /** The cap, bytes of the job images' unique sizes (`JOB_IMAGE_CACHE_GIB` × 2^30); 0: no pruning. */
  capBytes: number;
  /** Tags never removed (the image just built). */
  keep?: readonly string[];
  /**
   * Images whose last recorded use is more recent than this many ms are kept: another worker of the
   * host recorded it before building or starting a job from it and may be about to create its container.
   */
  protectMs: number;
  /** Only images carrying all these labels are considered (the worker's extra labels; tests scope pruning with them). */
  labels?: Record<string, string>;
  now?: number;
}

export interface PruneResult {
  /** Unique bytes of the job images before pruning. */
  totalBytes: number;
  /** Unique bytes left. */
  keptBytes: number;
  /** Tags removed by this call. */
  removed: string[];
}

/**
 * Removes the least recently used job images while their unique sizes add up to more than
 * `capBytes`. Considered: images whose every tag is in the `plz-job` repository (an image also
 * tagged otherwise is never touched), with `labels`. Order: last recorded use (`ImageUses`; an image
 * without one counts as the oldest), then creation time. Never removed: an image of any container
 * (`docker ps -a`), one in `keep`, one used within `protectMs`. Several workers may prune one engine
 * at once: a removal refused because the image is gone or now in use (the engine checks without
 * `force`) is logged at debug and skipped.
 *
 * With `capBytes` 0 nothing is listed nor removed (totals 0).
 *
 * Size measure: each image's layers shared with no other image (`docker system df -v`'s UNIQUE
 * SIZE); base images shared by many job images are not counted, since removing a job image would
 * not free them.
 */
export async function pruneJobImages(deps: PruneDeps, options: PruneOptions): Promise<PruneResult> {
  if (options.capBytes <= 0) return { totalBytes: 0, keptBytes: 0, removed: [] };
  const now = options.now ?? Date.now();
  const wanted = Object.entries(options.labels ?? {});
  const images = (await deps.images.withSizes()).filter(
    (image) => image.tags.length > 0 && image.tags.every(isJobTag) && wanted.every(([key, value]) => image.labels[key] === value),
  );
  const totalBytes = images.reduce((sum, image) => sum + image.uniqueBytes, 0);
  const result: PruneResult = { totalBytes, keptBytes: totalBytes, removed: [] };
  if (totalBytes <= options.capBytes) return result;

  const uses = await deps.uses.all();
  const inUse = await deps.containers.imageIdsInUse();
  const keep = new Set(options.keep ?? []);
  const lastUse = (image: LocalImage) => Math.max(-Infinity, ...image.tags.map((tag) => uses.get(tag) ?? -Infinity));
  const candidates = images
    .filter((image) => !inUse.has(image.id) && !image.tags.some((tag) => keep.has(tag)) && !(lastUse(image) > now - options.protectMs))
    .sort((a, b) => lastUse(a) - lastUse(b) || a.created - b.created);
  for (const image of candidates) {
    if (result.keptBytes <= options.capBytes) break;
    let freed = true;
    for (const tag of image.tags) {
      const outcome = await deps.images.removeTag(tag).catch((error: unknown) => {
        deps.logger.warn({ err: error, image: tag }, 'cannot remove a job image');
        return 'failed' as const;
      });
      if (outcome === 'removed') result.removed.push(tag);
      else deps.logger.debug({ image: tag, outcome }, 'job image not removed');
      if (outcome === 'in-use' || outcome === 'failed') freed = false;
    }
    if (freed) result.keptBytes -= image.uniqueBytes;
  }
  await deps.uses.forget(result.removed);
  return result;
}

/**
 * The job image cache of one worker: records uses in Redis and prunes after each build (and at
 * start), one prune at a time; failures are logged, never thrown (a job never fails for it).
 */
export class ImageCache {
  #pruning: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: PruneDeps & { uses: Pick<ImageUses, 'record' | 'all' | 'forget'> },
    private readonly options: Omit<PruneOptions, 'keep' | 'now'>,
  ) {}

  /** Records a use of `tag` now (before a build, when a job starts from it). */
  async used(tag: string): Promise<void> {
    await this.deps.uses.record(tag, Date.now()).catch((error: unknown) => this.deps.logger.warn({ err: error, image: tag }, 'cannot record the use of a job image'));
  }

  /** Settles when the prunes queued so far have run (shutdown waits on it). */
  settled(): Promise<void> {
    return this.#pruning;
  }

  /** Queues a prune keeping `keep`; resolves when it has run. */
  prune(keep: readonly string[] = []): Promise<void> {
    this.#pruning = this.#pruning.then(async () => {
      try {
        const result = await pruneJobImages(this.deps, { ...this.options, keep });
        if (result.removed.length > 0) this.deps.logger.info({ removed: result.removed, total_bytes: result.totalBytes, kept_bytes: result.keptBytes, cap_bytes: this.options.capBytes }, 'pruned job images');
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'cannot prune the job images');
      }
    });
    return this.#pruning;
  }
}

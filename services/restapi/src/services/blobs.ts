import type { Readable } from 'node:stream';
import { inputObjectKey, snapshotObjectKey } from '@plz/contracts';
import type { ObjectStore } from '../adapters/object-store.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DigestMeter } from './digest-meter.js';

/** Content-addressed uploads: code snapshots (tar.gz) and inputs (tar). */
export type BlobKind = 'snapshot' | 'input';

/** Bucket names of a deployment (keys.ts `buckets`; tests use throwaway ones). */
export interface Buckets {
  snapshots: string;
  inputs: string;
  mlflow: string;
}

/** Largest accepted body per kind, in bytes (MAX_SNAPSHOT_BYTES, MAX_INPUT_BYTES). */
export type BlobLimits = Record<BlobKind, number>;

/**
 * Stores snapshots and inputs by the sha256 of their content. An upload streams straight to its
 * content address as a multipart upload (parts sent in parallel) while being hashed and counted,
 * and the multipart upload is completed (made visible) only when the hash matches: a mismatch, an
 * oversized body or a broken connection aborts it and leaves nothing behind. The body is read
 * once, never whole in memory, and never copied or read back in the store.
 */
export class Blobs {
  /** Blobs known to exist (content-addressed, so they never change): skips a HEAD on every submit. */
  private readonly known = new Map<string, { size: number; until: number }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly buckets: Buckets,
    private readonly limits: BlobLimits,
    private readonly log: Logger,
  ) {}

  /** Bucket and key of a blob. */
  location(kind: BlobKind, sha256: string): { bucket: string; key: string } {
    return kind === 'snapshot'
      ? { bucket: this.buckets.snapshots, key: snapshotObjectKey(sha256) }
      : { bucket: this.buckets.inputs, key: inputObjectKey(sha256) };
  }

  /**
   * Size in bytes of the stored blob, or null when it is not stored. A blob seen stored is
   * remembered for 10 minutes (at most 10,000 of them): blobs are immutable and never deleted by plz.
   */
  async size(kind: BlobKind, sha256: string): Promise<number | null> {
    const cacheKey = `${kind}:${sha256}`;
    const cached = this.known.get(cacheKey);
    if (cached && cached.until > Date.now()) return cached.size;
    const { bucket, key } = this.location(kind, sha256);
    const size = (await this.store.head(bucket, key))?.size ?? null;
    if (size !== null) this.remember(cacheKey, size);
    return size;
  }

  private remember(cacheKey: string, size: number): void {
    if (this.known.size >= 10_000) this.known.clear();
    this.known.set(cacheKey, { size, until: Date.now() + 10 * 60_000 });
  }

  /** Largest accepted body of this kind, bytes. */
  limit(kind: BlobKind): number {
    return this.limits[kind];
  }

  /**
   * Stores `body` as the blob `sha256` unless it is stored already.
   *
   * @param declaredLength the request's Content-Length, when it has one (checked before reading).
   * @returns `exists` (nothing read or written) or `created`.
   * @throws AppError `payload_too_large` past the limit, `hash_mismatch` when the content's sha256
   *   differs; the body's own error when the client goes away. Nothing is kept in any of these cases.
   */
  async put(kind: BlobKind, sha256: string, body: Readable, declaredLength: number | undefined): Promise<'exists' | 'created'> {
    const { bucket, key } = this.location(kind, sha256);
    if ((await this.size(kind, sha256)) !== null) return 'exists';
    const limit = this.limits[kind];
    if (declaredLength !== undefined && declaredLength > limit) {
      throw new AppError('payload_too_large', `the ${kind} is ${declaredLength} bytes; the limit is ${limit}`, { limit });
    }
    const meter = new DigestMeter(limit);
    const onClose = () => {
      if (!body.readableEnded) meter.destroy(new Error(`the client closed the connection during the ${kind} upload`));
    };
    body.once('close', onClose);
    body.once('error', (error) => meter.destroy(error));
    // A failing meter (limit) must not destroy the request: the 413 answer still has to go out.
    meter.once('error', () => body.unpipe(meter));
    body.pipe(meter);
    try {
      const bytes = await this.store.uploadVerified(bucket, key, meter, () => {
        const actual = meter.digest();
        if (actual !== sha256) {
          throw new AppError('hash_mismatch', `the content's sha256 is ${actual}, not ${sha256}: nothing was stored`, { expected: sha256, actual });
        }
      });
      this.remember(`${kind}:${sha256}`, bytes);
      this.log.debug({ kind, sha256, bytes }, 'blob stored');
      return 'created';
    } finally {
      body.off('close', onClose);
    }
  }
}

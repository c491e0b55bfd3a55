import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * A pass-through stream that hashes (sha256) and counts the bytes flowing through it, and fails
 * with AppError `payload_too_large` as soon as more than `limit` bytes have passed.
 */
export class DigestMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.limit) {
      callback(new AppError('payload_too_large', `the body is larger than the limit of ${this.limit} bytes`, { limit: this.limit }));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** Hex sha256 of everything seen; call once, after the end. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

import type { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  AbortMultipartUploadCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { minioClientOptions, type S3Settings } from '@plz/contracts';

/** Connection settings of the S3 endpoint (MinIO in a deployment). */
export type { S3Settings };

/** One stored object as listed: key, size in bytes, last modification. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * Signs `command` with an unsigned payload: the `x-amz-content-sha256` header set to
 * `UNSIGNED-PAYLOAD` before signing, which SigV4 then signs as the payload's hash instead of
 * hashing the body (AWS, "Authenticating Requests: Using the Authorization Header", unsigned
 * payload option; MinIO accepts it and then skips its own hash of the body). For bodies whose
 * integrity the caller checks otherwise (uploadVerified: the sha256 of the whole input).
 */
function unsignedPayload<C extends UploadPartCommand | PutObjectCommand>(command: C): C {
  // The middleware reads no input: one member of the union types it for both.
  (command as UploadPartCommand).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'plzUnsignedPayload' },
  );
  return command;
}

/** Tuning of large transfers; the defaults suit production, tests shrink them to exercise multipart paths. */
export interface TransferOptions {
  /** Part size of multipart uploads, bytes (S3 minimum 5 MiB, except the last part). */
  uploadPartSize: number;
  /** Parts of one upload sent at once; memory per upload is about this many parts plus one. */
  uploadQueueSize: number;
}

const MiB = 1024 ** 2;
const defaultTransfers: TransferOptions = { uploadPartSize: 8 * MiB, uploadQueueSize: 4 };

/**
 * The S3 object store (MinIO): the only code that talks to the S3 SDK. Path-style addressing and
 * checksums only when required, as MinIO needs with `@aws-sdk/client-s3` >= 3.729 (NOTES.md).
 */
export class ObjectStore {
  private readonly client: S3Client;
  private readonly transfers: TransferOptions;

  constructor(settings: S3Settings, transfers: Partial<TransferOptions> = {}) {
    this.client = new S3Client({
      ...minioClientOptions(settings),
      maxAttempts: 2,
    });
    this.transfers = { ...defaultTransfers, ...transfers };
  }

  /** Size of the object, or null when it does not exist. */
  async head(bucket: string, key: string): Promise<{ size: number } | null> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** True when the bucket exists and these credentials may use it (readiness probe). */
  async bucketReachable(bucket: string): Promise<boolean> {
    await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  }

  /**
   * Streams `body` into the object at `key`, multipart (lib-storage `Upload`), holding at most
   * about two parts in memory. A failure (including `body` being destroyed with an error) aborts the
   * multipart upload, so no parts are left behind, and rejects with that error.
   */
  async upload(bucket: string, key: string, body: Readable, contentType = 'application/octet-stream'): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
      partSize: this.transfers.uploadPartSize,
      queueSize: this.transfers.uploadQueueSize,
      leavePartsOnError: false,
    });
    // A body error ends lib-storage's read of the body; it then aborts the multipart upload
    // before done() rejects (calling upload.abort() instead would reject first and clean up later).
    let bodyError: unknown;
    const onError = (error: unknown) => {
      bodyError = error;
    };
    body.once('error', onError);
    try {
      await upload.done();
    } catch (error) {
      throw bodyError ?? error;
    } finally {
      body.off('error', onError);
    }
    if (bodyError) throw bodyError;
  }

  /**
   * Streams `body` into the object at `key` and makes it visible only once `verify` (called after
   * the body's last byte, before anything is visible) resolves: a multipart upload whose parts of
   * `uploadPartSize` go out `uploadQueueSize` at a time, completed after `verify`; a body shorter
   * than one part is held (under one part) and put in one request after `verify`. Memory: about
   * `uploadQueueSize + 1` parts. Any failure (the body's error, a part refused by the store,
   * `verify` throwing) aborts the multipart upload, so no parts are left behind, and rejects with it.
   *
   * @returns the number of bytes stored.
   */
  async uploadVerified(bucket: string, key: string, body: AsyncIterable<Buffer>, verify: () => void | Promise<void>, contentType = 'application/octet-stream'): Promise<number> {
    // The caller hashes the whole body and `verify` checks it before anything is visible: the
    // parts go with an unsigned payload (unsignedPayload), so that neither this process nor MinIO
    // hashes every byte once more for the signature.
    const { uploadPartSize: partSize, uploadQueueSize: queueSize } = this.transfers;
    let uploadId: string | undefined;
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const send = (part: Buffer, number: number): void => {
      const sent = (async () => {
        uploadId ??= (await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }))).UploadId;
        const answer = await this.client.send(unsignedPayload(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: part, ContentLength: part.length })));
        parts.push({ ETag: answer.ETag ?? '', PartNumber: number });
      })().catch((error: unknown) => {
        failure ??= error;
      });
      const tracked = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    let current = Buffer.allocUnsafe(partSize);
    let filled = 0;
    let number = 0;
    let total = 0;
    try {
      // The first part creates the multipart upload: wait for it so that later parts share its id.
      for await (const chunk of body) {
        total += chunk.length;
        for (let offset = 0; offset < chunk.length; ) {
          const taken = chunk.copy(current, filled, offset);
          filled += taken;
          offset += taken;
          if (filled < partSize) continue;
          if (failure) throw failure;
          send(current, ++number);
          if (number === 1) await Promise.all(inFlight);
          while (inFlight.size >= queueSize) await Promise.race(inFlight);
          current = Buffer.allocUnsafe(partSize);
          filled = 0;
        }
      }
      await Promise.all(inFlight);
      if (failure) throw failure;
      if (number === 0) {
        await verify();
        await this.client.send(unsignedPayload(new PutObjectCommand({ Bucket: bucket, Key: key, Body: current.subarray(0, filled), ContentLength: filled, ContentType: contentType })));
        return total;
      }
      if (filled > 0) send(current.subarray(0, filled), ++number);
      await Promise.all(inFlight);
      if (failure) throw failure;
      await verify();
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      return total;
    } catch (error) {
      await Promise.all(inFlight);
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }

  /** Deletes the object; deleting a missing object is not an error. */
  async delete(bucket: string, key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  /** Every object whose key starts with `prefix`, in key order, page by page. */
  async *list(bucket: string, prefix: string): AsyncGenerator<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        if (item.Key) yield { key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Number of unfinished multipart uploads in the bucket (tests check that none are left behind). */
  async pendingUploads(bucket: string): Promise<number> {
    const answer = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return answer.Uploads?.length ?? 0;
  }

  /** The object's content as a stream, or null when it does not exist. */
  async read(bucket: string, key: string): Promise<Readable | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * The last `bytes` bytes of an object (an HTTP suffix range, RFC 9110 §14.1.2) and its whole size,
   * or null when it does not exist.
   */
  async readEnd(bucket: string, key: string, bytes: number): Promise<{ body: Buffer; size: number } | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=-${Math.max(1, Math.floor(bytes))}` }));
      const body = Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
      const total = /\/(\d+)$/.exec(answer.ContentRange ?? '')?.[1];
      return { body, size: total ? Number(total) : body.length };
    } catch (error) {
      if (isNotFound(error)) return null;
      // an empty object has no satisfiable range
      if ((error as { name?: string; $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return { body: Buffer.alloc(0), size: 0 };
      throw error;
    }
  }

  /** Closes the HTTP connections. */
  close(): void {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey';
  }
  return false;
}

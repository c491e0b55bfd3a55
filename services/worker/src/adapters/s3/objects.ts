import { Agent } from 'node:https';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { minioClientOptions, type S3Settings } from '@plz/contracts';

/** Connection settings of the object store (MinIO). */
export type { S3Settings };

/** Raised for a missing object, so callers can tell "not there" from a failure. */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`object s3://${bucket}/${key} does not exist`);
  }
}

/**
 * Objects in MinIO: streamed reads, streamed multipart writes (`@aws-sdk/lib-storage` Upload:
 * parts of 8 MiB, 4 in flight, so memory stays bounded whatever the size), listing and copies.
 * Path-style addressing and checksums only when required, as MinIO wants (NOTES.md).
 */
export class ObjectStore {
  readonly #client: S3Client;

  /** @param tls.ca PEM CA certificate an `https://` endpoint's certificate must chain to (a worker host's controller CA). */
  constructor(settings: S3Settings, tls: { ca?: string } = {}) {
    const handler = tls.ca === undefined ? {} : { requestHandler: { httpsAgent: new Agent({ ca: tls.ca, keepAlive: true }) } };
    this.#client = new S3Client({ ...minioClientOptions(settings), ...handler });
  }

  /**
   * The object's bytes as a stream (read it to the end or destroy it).
   *
   * @throws ObjectNotFoundError when it does not exist.
   */
  async read(bucket: string, key: string): Promise<Readable> {
    try {
      const answer = await this.#client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return answer.Body as Readable;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') throw new ObjectNotFoundError(bucket, key);
      throw error;
    }
  }

  /** Writes `body` to `bucket/key`, streaming (multipart above one part), replacing any object there. */
  async write(bucket: string, key: string, body: Readable | Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
      partSize: 8 * 1024 ** 2,
      queueSize: 4,
    });
    await upload.done();
  }

  /** Server-side copy within a bucket (objects up to 5 GiB, S3's CopyObject limit). */
  async copy(bucket: string, fromKey: string, toKey: string): Promise<void> {
    await this.#client.send(new CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: `${bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}` }));
  }

  /** Every object under `prefix`, in key order: key and size in bytes. */
  async *list(bucket: string, prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, size: object.Size ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Creates the bucket unless it exists (tests and tools; a deployment's init creates its buckets). */
  async ensureBucket(bucket: string): Promise<void> {
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.#client.destroy();
  }
}

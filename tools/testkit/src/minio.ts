import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, secret, startProcess, waitUntilReady } from './process.js';
import { toolPaths } from './tools.js';
import { minioClientOptions, type S3Settings } from '@plz/contracts';

export type { S3Settings };

/** A throwaway MinIO server on 127.0.0.1, root credentials generated. */
export interface MinioService extends S3Settings {
  stop(): Promise<void>;
}

/** Starts `minio server` on free loopback ports (console off); ready when `/minio/health/live` is 200. */
export async function startMinio(): Promise<MinioService> {
  const { minio } = toolPaths();
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-test-minio-'));
  const port = await freePort();
  const accessKeyId = `root${Math.random().toString(36).slice(2, 8)}`;
  const secretAccessKey = await secret();
  const proc = startProcess('minio', minio, ['server', dir, '--address', `127.0.0.1:${port}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady('minio', proc, async () => (await fetch(`${endpoint}/minio/health/live`)).ok);
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region: 'us-east-1',
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An S3 client for MinIO, with the options the services use (`minioClientOptions`). */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client(minioClientOptions(settings));
}

/** Creates a bucket named `<prefix>-<random>` and returns its name. */
export async function createBucket(settings: S3Settings, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
  const client = s3Client(settings);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}

/** Creates the bucket `name` unless it exists already (shared, content-addressed buckets). */
export async function ensureBucket(settings: S3Settings, name: string): Promise<void> {
  const client = s3Client(settings);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
  } finally {
    client.destroy();
  }
}

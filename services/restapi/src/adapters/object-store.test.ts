import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBucket, testServices } from '@plz/testkit';
import { ObjectStore } from './object-store.js';

/** What the recording proxy saw of one request: method, path and query, x-amz-content-sha256. */
interface Seen {
  method: string;
  url: string;
  contentSha256: string | undefined;
}

/**
 * A test-only HTTP proxy on loopback in front of the testkit's real MinIO that records each
 * request's payload-hash header and passes everything through unchanged (MinIO still checks every
 * signature).
 */
function recordingProxy(target: string, seen: Seen[]): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((incoming, answer) => {
    seen.push({ method: incoming.method ?? '', url: incoming.url ?? '', contentSha256: incoming.headers['x-amz-content-sha256'] as string | undefined });
    const forwarded = request({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (reply) => {
      answer.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(answer);
    });
    forwarded.on('error', (error) => answer.destroy(error));
    incoming.pipe(forwarded);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const read = async (store: ObjectStore, bucket: string, key: string): Promise<Buffer> => {
  const body = await store.read(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body!) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe('ObjectStore.uploadVerified against MinIO', () => {
  const seen: Seen[] = [];
  let proxy: Server;
  let store: ObjectStore;
  let bucket: string;

  beforeAll(async () => {
    const services = testServices();
    bucket = await createBucket(services.s3, 'unsigned');
    proxy = await recordingProxy(services.s3.endpoint, seen);
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    store = new ObjectStore({ ...services.s3, endpoint }, { uploadPartSize: 5 * 1024 ** 2, uploadQueueSize: 2 });
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it('sends the parts of a verified upload with an unsigned payload (the caller hashes the body), which MinIO stores intact', async () => {
    const data = randomBytes(12 * 1024 ** 2 + 123);
    seen.length = 0;
    const stored = await store.uploadVerified(bucket, 'multipart.bin', chunksOf(data, 64 * 1024), () => undefined);
    expect(stored).toBe(data.length);
    const parts = seen.filter((one) => one.method === 'PUT' && one.url.includes('partNumber='));
    expect(parts).toHaveLength(3);
    expect(parts.map((part) => part.contentSha256)).toEqual(['UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD']);
    const back = await read(store, bucket, 'multipart.bin');
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  }, 60_000);

  it('puts a body under one part in one unsigned request, only after verify', async () => {
    const data = randomBytes(1000);
    seen.length = 0;
    await store.uploadVerified(bucket, 'small.bin', chunksOf(data, 100), () => undefined);
    expect(seen.filter((one) => one.method === 'PUT').map((one) => one.contentSha256)).toEqual(['UNSIGNED-PAYLOAD']);
    expect(await read(store, bucket, 'small.bin')).toEqual(data);
    // a refused verification stores nothing
    await expect(store.uploadVerified(bucket, 'refused.bin', chunksOf(data, 100), () => Promise.reject(new Error('hash mismatch')))).rejects.toThrow('hash mismatch');
    expect(await store.head(bucket, 'refused.bin')).toBeNull();
  }, 60_000);

  it('keeps signing the payload of other requests (a plain upload hashes its body)', async () => {
    seen.length = 0;
    await store.upload(bucket, 'plain.bin', Readable.from([Buffer.from('plain body')]));
    const puts = seen.filter((one) => one.method === 'PUT');
    expect(puts.length).toBeGreaterThan(0);
    expect(puts.every((one) => one.contentSha256 !== 'UNSIGNED-PAYLOAD')).toBe(true);
  }, 60_000);
});

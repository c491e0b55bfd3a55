import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client, testServices } from '@plz/testkit';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { sha256 } from '../testing/fixtures.js';

const MiB = 1024 ** 2;
let api: TestApi;
const s3 = s3Client(testServices().s3);

beforeAll(async () => {
  api = await startTestApi({
    limits: { snapshot: 1 * MiB, input: 20 * MiB },
    transfers: { uploadPartSize: 5 * MiB, uploadQueueSize: 2 },
  });
}, 30_000);
afterAll(async () => {
  s3.destroy();
  await api?.close();
});

/** Every key in the bucket, temporary uploads included, and the number of unfinished multipart uploads. */
async function contents(bucket: string): Promise<{ keys: string[]; pending: number }> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return { keys: (listed.Contents ?? []).map((item) => item.Key!).sort(), pending: uploads.Uploads?.length ?? 0 };
}

async function stored(bucket: string, key: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

/** A body sent chunked (no Content-Length), in pieces of 256 KiB. */
function chunked(content: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= content.length) return controller.close();
      controller.enqueue(content.subarray(offset, offset + 256 * 1024));
      offset += 256 * 1024;
    },
  });
}

describe('snapshots', () => {
  it('stores by hash, answers HEAD, and is a no-op the second time', async () => {
    const content = randomBytes(10_000);
    const hash = sha256(content);
    const path = `/api/v1/snapshots/${hash}`;
    expect((await api.call('HEAD', path, { token: api.admin.token })).status).toBe(404);
    const put = await api.call('PUT', path, { token: api.admin.token, body: content, headers: { 'content-type': 'application/gzip' } });
    expect([put.status, put.json]).toEqual([201, { sha256: hash, created: true }]);
    const head = await api.call('HEAD', path, { token: api.admin.token });
    expect([head.status, head.headers.get('x-plz-size')]).toEqual([200, '10000']);
    const again = await api.call('PUT', path, { token: api.admin.token, body: content });
    expect([again.status, again.json]).toEqual([200, { sha256: hash, created: false }]);
    expect(await stored(api.buckets.snapshots, `${hash}.tar.gz`)).toEqual(content);
    expect(await contents(api.buckets.snapshots)).toEqual({ keys: [`${hash}.tar.gz`], pending: 0 });
  });

  it('stores an empty body under the hash of nothing', async () => {
    const hash = sha256('');
    expect((await api.call('PUT', `/api/v1/snapshots/${hash}`, { token: api.admin.token, body: Buffer.alloc(0) })).status).toBe(201);
    expect((await api.call('HEAD', `/api/v1/snapshots/${hash}`, { token: api.admin.token })).headers.get('x-plz-size')).toBe('0');
  });

  it('keeps nothing when the content does not match the hash', async () => {
    const before = await contents(api.buckets.snapshots);
    const wrong = sha256('something else');
    const answer = await api.call('PUT', `/api/v1/snapshots/${wrong}`, { token: api.admin.token, body: randomBytes(5000) });
    expect(answer.status).toBe(422);
    expect(answer.json.error).toMatchObject({ code: 'hash_mismatch', details: { expected: wrong, actual: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(await contents(api.buckets.snapshots)).toEqual(before);
  });

  it('refuses a body over the limit, declared or streamed, and keeps nothing', async () => {
    const before = await contents(api.buckets.snapshots);
    const content = randomBytes(1 * MiB + 1);
    const declared = await api.call('PUT', `/api/v1/snapshots/${sha256(content)}`, { token: api.admin.token, body: content });
    expect([declared.status, declared.json.error.code]).toEqual([413, 'payload_too_large']);
    const streamed = await api.call('PUT', `/api/v1/snapshots/${sha256(content)}`, { token: api.admin.token, body: chunked(content) });
    expect([streamed.status, streamed.json.error.code]).toEqual([413, 'payload_too_large']);
    expect(await contents(api.buckets.snapshots)).toEqual(before);
  });

  it('refuses bad hashes and missing tokens', async () => {
    for (const bad of ['abc', 'A'.repeat(64), `${'0'.repeat(63)}g`]) {
      const answer = await api.call('PUT', `/api/v1/snapshots/${bad}`, { token: api.admin.token, body: 'x' });
      expect([bad, answer.status, answer.json.error.code]).toEqual([bad, 400, 'validation_failed']);
    }
    expect((await api.call('HEAD', `/api/v1/snapshots/${'0'.repeat(64)}`)).status).toBe(401);
    expect((await api.call('PUT', `/api/v1/snapshots/${sha256('x')}`, { body: 'x' })).status).toBe(401);
  });
});

describe('inputs', () => {
  it('streams large inputs multipart, parts in parallel, straight to their content address', async () => {
    const content = randomBytes(12 * MiB + 123);
    const hash = sha256(content);
    const answer = await api.call('PUT', `/api/v1/inputs/${hash}`, { token: api.admin.token, body: chunked(content) });
    expect(answer.status).toBe(201);
    expect(sha256(await stored(api.buckets.inputs, `${hash}.tar`))).toBe(hash);
    expect(await contents(api.buckets.inputs)).toEqual({ keys: [`${hash}.tar`], pending: 0 });
  }, 60_000);

  it('refuses a large upload with one corrupted part: nothing stored, no parts left', async () => {
    const content = randomBytes(17 * MiB + 5);
    const hash = sha256(content);
    const corrupted = Buffer.from(content);
    corrupted[11 * MiB + 7] = (corrupted[11 * MiB + 7]! + 1) % 256; // one byte of the third part
    const before = await contents(api.buckets.inputs);
    const answer = await api.call('PUT', `/api/v1/inputs/${hash}`, { token: api.admin.token, body: corrupted });
    expect(answer.status).toBe(422);
    expect(answer.json.error).toMatchObject({ code: 'hash_mismatch', details: { expected: hash, actual: sha256(corrupted) } });
    expect(await contents(api.buckets.inputs)).toEqual(before);
    expect((await api.call('HEAD', `/api/v1/inputs/${hash}`, { token: api.admin.token })).status).toBe(404);
    // The right content afterwards is stored.
    expect((await api.call('PUT', `/api/v1/inputs/${hash}`, { token: api.admin.token, body: content })).status).toBe(201);
    expect(sha256(await stored(api.buckets.inputs, `${hash}.tar`))).toBe(hash);
  }, 60_000);

  it('aborts a multipart upload that grows past the limit, leaving no parts', async () => {
    const content = randomBytes(21 * MiB);
    const before = await contents(api.buckets.inputs);
    const answer = await api.call('PUT', `/api/v1/inputs/${sha256(content)}`, { token: api.admin.token, body: chunked(content) });
    expect(answer.status).toBe(413);
    expect(await contents(api.buckets.inputs)).toEqual(before);
  }, 60_000);

  it('keeps nothing when the client goes away midway', async () => {
    const before = await contents(api.buckets.inputs);
    const { hostname, port } = new URL(api.url);
    const req = request({ hostname, port, method: 'PUT', path: `/api/v1/inputs/${sha256('whatever')}`, headers: { authorization: `Bearer ${api.admin.token}`, 'content-length': String(16 * MiB) } });
    const closed = new Promise<void>((resolve) => req.on('close', () => resolve()));
    req.on('error', () => undefined);
    req.write(randomBytes(7 * MiB));
    const waitFor = async (done: (now: { keys: string[]; pending: number }) => boolean) => {
      for (let i = 0; i < 100; i++) {
        if (done(await contents(api.buckets.inputs))) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    };
    // The upload is under way (a multipart upload exists), then the client goes away.
    expect(await waitFor((now) => now.pending > 0)).toBe(true);
    req.destroy();
    await closed;
    expect(await waitFor((now) => now.pending === 0 && now.keys.length === before.keys.length)).toBe(true);
    expect(await contents(api.buckets.inputs)).toEqual(before);
  }, 30_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { buckets } from '@plz/contracts';
import { s3Client, testServices } from '@plz/testkit';
import type { Readable } from 'node:stream';
import { ApiClient } from '@plz/cli/api/client.js';
import { stageInput } from '@plz/cli/snapshot/input.js';
import { startStack, type CliResult, type Stack } from './stack.js';

// Issue 17: a large input is packed, hashed and uploaded streamed, stored under its sha256, and
// uploaded once. The CLI's peak memory is a target of tools/bench/input-upload.mjs, not of this
// test: at 50 MiB it varied with the machine's load (150 to 285 MB in CI runs), so a limit here
// would fail at random; the CLI still reports it (PLZ_REPORT_MAX_RSS), and the test checks that.
const MiB = 1024 ** 2;
const inputBytes = 50 * MiB;

const maxRss = (result: CliResult): number => {
  const match = /plz: max RSS (\d+) bytes/.exec(result.stderr);
  if (!match) throw new Error(`no max RSS in:\n${result.stderr}`);
  return Number(match[1]);
};

describe('a 50 MiB input', () => {
  let stack: Stack;
  let dir: string;
  const s3 = s3Client(testServices().s3);

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    dir = stack.project({
      'plz.config.json': JSON.stringify({ project: 'cli-inputs', image: 'python:3.11-slim-bookworm', command: ['true'], input: 'file://data', excluded_paths: ['data'] }),
      'data/small.txt': 'a small file beside the big one\n',
    });
    // Random content (a new input on every test run), written 1 MiB at a time.
    const fd = openSync(path.join(dir, 'data', 'big.bin'), 'w');
    const chunk = Buffer.alloc(MiB);
    for (let i = 0; i < inputBytes / MiB; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
  }, 120_000);

  afterAll(async () => {
    s3.destroy();
    await stack?.close();
  }, 60_000);

  const run = (env: Record<string, string> = {}) =>
    stack.plz(dir, ['run', '--detach', '--queue-without-worker'], { env: { PLZ_REPORT_MAX_RSS: '1', ...env }, timeoutMs: 180_000 });

  it('is streamed to the REST API and stored under its sha256, the CLI reporting its peak memory', async () => {
    const result = await run();
    expect([result.status, result.stderr]).toEqual([0, expect.any(String)]);
    const uploaded = /input ([0-9a-f]{12}): uploaded (\d+\.\d) MiB/.exec(result.stdout + result.stderr);
    expect(uploaded).not.toBeNull();
    expect(Number(uploaded![2])).toBeGreaterThanOrEqual(50);
    expect(maxRss(result)).toBeGreaterThan(0);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: buckets.inputs, Prefix: uploaded![1] }));
    const keys = (listed.Contents ?? []).map((item) => item.Key!);
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key).toMatch(/^[0-9a-f]{64}\.tar$/);
    const object = await s3.send(new GetObjectCommand({ Bucket: buckets.inputs, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    expect(`${hash.digest('hex')}.tar`).toBe(key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: buckets.inputs, Key: key }));
    expect(head.ContentLength).toBeGreaterThan(inputBytes);
  }, 200_000);

  it('uploads nothing the second time, with the local cache or without it', async () => {
    const cached = await run();
    expect(cached.status).toBe(0);
    expect(cached.stdout).toContain('input: unchanged, already stored');
    expect(cached.stdout + cached.stderr).not.toMatch(/input [0-9a-f]{12}: uploaded/);

    // Another machine (an empty local cache): packed and hashed again, then found stored.
    const fresh = await run({ XDG_CACHE_HOME: mkdtempSync(path.join(stack.home, 'cache-')) });
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toContain('input: unchanged, already stored');
    expect(fresh.stdout + fresh.stderr).not.toMatch(/input [0-9a-f]{12}: uploaded/);
  }, 200_000);

  it('stores nothing when a file changes between hashing and sending (packed twice, checked by the server)', async () => {
    // The input is hashed first, then packed again straight into the upload (no temporary copy): a
    // file written in between makes the bytes sent differ from the hash, which the REST API refuses.
    const folder = stack.project({ 'data/a.txt': 'before\n', 'data/b.bin': 'x'.repeat(2 * MiB) });
    const api = new ApiClient(stack.url, stack.token);
    const env = { XDG_CACHE_HOME: mkdtempSync(path.join(stack.home, 'cache-')) };
    const staged = await stageInput(`file://${path.join(folder, 'data')}`, api, { showProgress: false, env });
    writeFileSync(path.join(folder, 'data', 'a.txt'), 'after!\n'); // the same size: only the content differs
    const refused = staged.upload();
    await expect(refused).rejects.toMatchObject({ code: 'input', message: expect.stringMatching(/changed while it was uploaded: nothing was stored/) });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: buckets.inputs }));
    const changed = await stageInput(`file://${path.join(folder, 'data')}`, api, { showProgress: false, env });
    const stored = await changed.upload();
    expect(stored.outcome).toBe('uploaded');
    // Only the second (consistent) upload added an object.
    const after = await s3.send(new ListObjectsV2Command({ Bucket: buckets.inputs }));
    expect((after.Contents ?? []).length).toBe((listed.Contents ?? []).length + 1);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testServices } from '@plz/testkit';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { artifactPath, artifactPathFromUri, runArtifactRoot } from './artifacts.js';
import { MlflowClient } from './client.js';
import { startPrefixProxy, type PrefixProxy } from './testing/prefix-proxy.js';

const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes, made chunk by chunk as the stream is read. */
function* chunks(total: number, chunkSize: number): Generator<Buffer> {
  let state = 0x9e3779b9;
  for (let offset = 0; offset < total; offset += chunkSize) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkSize, total - offset));
    for (let i = 0; i < chunk.length; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, i);
    }
    yield chunk;
  }
}

const sha256 = async (source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<{ hash: string; bytes: number }> => {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash: hash.digest('hex'), bytes };
};

describe('artifact paths', () => {
  it('builds store paths from runs and artifact URIs', () => {
    expect(runArtifactRoot('1', 'abc')).toBe('1/abc/artifacts');
    expect(artifactPath({ experimentId: '1', runId: 'abc', path: 'out/model.pt' })).toBe('1/abc/artifacts/out/model.pt');
    expect(artifactPath({ experimentId: '1', runId: 'abc' })).toBe('1/abc/artifacts');
    expect(artifactPath('/1/abc/artifacts/x/')).toBe('1/abc/artifacts/x');
    expect(artifactPathFromUri('mlflow-artifacts:/1/abc/artifacts', 'logs/execution.log')).toBe('1/abc/artifacts/logs/execution.log');
    expect(artifactPathFromUri('mlflow-artifacts://mlflow:5000/1/abc/artifacts')).toBe('1/abc/artifacts');
  });

  it('refuses paths that would leave their folder', () => {
    for (const bad of ['', '1/../2', '1/./x', 'a//b', 'a\\b']) expect(() => artifactPath(bad)).toThrow(TypeError);
    expect(() => artifactPath({ experimentId: '1', runId: 'abc', path: '../../other' })).toThrow(TypeError);
    expect(() => artifactPathFromUri('s3://bucket/1/abc/artifacts')).toThrow('proxy');
  });
});

describe('artifacts through the MLflow proxy (stored in MinIO)', () => {
  let client: MlflowClient;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    client = new MlflowClient({ baseUrl: testServices().mlflowUrl, retry: { retries: 1, minTimeoutMs: 10 } });
    experimentId = await client.getOrCreateExperiment(`plz-test-artifacts-${randomUUID()}`);
    runId = (await client.createRun({ experimentId })).info.run_id;
  }, 30_000);

  it('uploads a buffer, lists it and downloads the same bytes', async () => {
    const body = Buffer.from('épreuve: 1\n'.repeat(1000));
    await client.uploadArtifact({ experimentId, runId, path: 'notes/a file.txt' }, body);
    expect(await client.listArtifacts({ experimentId, runId })).toEqual([{ path: 'notes', is_dir: true }]);
    expect(await client.listArtifacts({ experimentId, runId, path: 'notes' })).toEqual([{ path: 'a file.txt', is_dir: false, file_size: body.length }]);
    const download = await client.downloadArtifact({ experimentId, runId, path: 'notes/a file.txt' });
    expect(Buffer.concat(await download.toArray())).toEqual(body);
    // the run's artifact_uri leads to the same place
    const run = await client.getRun(runId);
    expect(await client.listArtifacts(artifactPathFromUri(run.info.artifact_uri!, 'notes'))).toHaveLength(1);
    expect(await client.listArtifacts({ experimentId, runId, path: 'nothing-here' })).toEqual([]);
  }, 30_000);

  it('replays a stream factory on retry and overwrites an artifact', async () => {
    await client.uploadArtifact({ experimentId, runId, path: 'twice.bin' }, () => Readable.from(chunks(1000, 100)));
    await client.uploadArtifact({ experimentId, runId, path: 'twice.bin' }, () => Readable.from(chunks(2000, 100)));
    const listed = await client.listArtifacts({ experimentId, runId });
    expect(listed).toEqual(expect.arrayContaining([{ path: 'twice.bin', is_dir: false, file_size: 2000 }]));
  }, 30_000);

  describe('a 20 MiB stream', () => {
    let proxy: PrefixProxy;
    beforeAll(async () => {
      proxy = await startPrefixProxy(testServices().mlflowUrl, '/mlflow');
    });
    afterAll(() => proxy.close());

    it('is sent while it is produced, never held whole, and comes back intact', async () => {
      const size = 20 * MiB;
      const viaProxy = new MlflowClient({ baseUrl: proxy.url, retry: { retries: 0 } });
      const expected = await sha256(chunks(size, 64 * 1024));
      let produced = 0;
      let widestGap = 0;
      const source = Readable.from(
        (function* () {
          for (const chunk of chunks(size, 64 * 1024)) {
            widestGap = Math.max(widestGap, produced - proxy.receivedBytes());
            produced += chunk.length;
            yield chunk;
          }
        })(),
      );
      const before = proxy.receivedBytes();
      await viaProxy.uploadArtifact({ experimentId, runId, path: 'big/stream.bin' }, source);
      expect(proxy.receivedBytes() - before).toBe(size);
      // Had the client buffered the body, nothing would have reached the proxy before the last chunk
      // was produced (gap = 20 MiB); streamed, the gap is bounded by socket buffers.
      expect(widestGap).toBeLessThan(12 * MiB);
      expect(await viaProxy.listArtifacts({ experimentId, runId, path: 'big' })).toEqual([{ path: 'stream.bin', is_dir: false, file_size: size }]);
      const downloaded = await sha256(await viaProxy.downloadArtifact({ experimentId, runId, path: 'big/stream.bin' }));
      expect(downloaded).toEqual(expected);
    }, 120_000);
  });
});

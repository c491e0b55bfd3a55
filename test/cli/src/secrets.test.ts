import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import tar from 'tar-stream';
import { buckets, snapshotObjectKey, type ExecutionList } from '@plz/contracts';
import { s3Client, testServices } from '@plz/testkit';
import { startStack, type Stack } from './stack.js';

// No credentials in snapshots: plz.config.json files never go in, and a token anywhere else is refused.

/** Names and contents of the entries of a stored snapshot, read from MinIO. */
async function storedSnapshot(sha256: string): Promise<Array<{ name: string; body: Buffer }>> {
  const object = await s3Client(testServices().s3).send(new GetObjectCommand({ Bucket: buckets.snapshots, Key: snapshotObjectKey(sha256) }));
  const archive = gunzipSync(Buffer.from(await object.Body!.transformToByteArray()));
  const extract = tar.extract();
  const entries: Array<{ name: string; body: Buffer }> = [];
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      entries.push({ name: header.name, body: Buffer.concat(chunks) });
      next();
    });
  });
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  extract.end(archive);
  await finished;
  return entries;
}

describe('no credentials in snapshots', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  const executionsOf = async (project: string): Promise<ExecutionList> => {
    const answer = await fetch(`${stack.url}/api/v1/executions?project=${project}`, { headers: { authorization: `Bearer ${stack.token}` } });
    return (await answer.json()) as ExecutionList;
  };

  it('leaves every plz.config.json out of the snapshot, the one holding the token included', async () => {
    const config = { project: 'secrets-ok', url: stack.url, token: stack.token, command: ['python', 'main.py'], included_paths: ['plz.config.json', '**/plz.config.json'] };
    const dir = stack.project({
      'plz.config.json': JSON.stringify(config),
      'main.py': 'print("hello")\n',
      'sub/plz.config.json': JSON.stringify({ token: stack.token }),
      'sub/model.py': 'x = 1\n',
    });
    const result = await stack.plz(dir, ['run', '--detach', '--queue-without-worker', '--json']);
    expect(result.status).toBe(0);
    const execution = JSON.parse(result.stdout) as { snapshot: string };
    const entries = await storedSnapshot(execution.snapshot);
    expect(entries.map((entry) => entry.name).sort()).toEqual(['Dockerfile', 'main.py', 'sub/', 'sub/model.py']);
    for (const entry of entries) expect(entry.body.includes(stack.token)).toBe(false);
  }, 120_000);

  it('refuses a project with the token in notes.txt: nothing uploaded, no execution', async () => {
    const dir = stack.project({
      'plz.config.json': JSON.stringify({ project: 'secrets-refused', command: ['python', 'main.py'] }),
      'main.py': 'print("hello")\n',
      'docs/notes.txt': `my token, to remember: ${stack.token}\n`,
    });
    const result = await stack.plz(dir, ['run', '--queue-without-worker', '--json']);
    expect(result.status).toBe(120);
    const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string; hint: string } };
    expect(error.code).toBe('token_in_upload');
    expect(error.message).toContain('docs/notes.txt');
    expect(error.hint).toContain('plz admin tokens revoke');
    expect(result.stdout + result.stderr).not.toContain(stack.token);
    expect(result.stderr).not.toMatch(/snapshot [0-9a-f]{12}/); // the snapshot was never reported stored
    expect((await executionsOf('secrets-refused')).executions).toEqual([]);

    const human = await stack.plz(dir, ['run', '--queue-without-worker']);
    expect(human.status).toBe(120);
    expect(human.stderr).toContain('the snapshot holds your API token (in docs/notes.txt)');
  }, 120_000);

  it('refuses an input holding the token before uploading the snapshot', async () => {
    const dir = stack.project({
      'plz.config.json': JSON.stringify({ project: 'secrets-input', command: ['python', 'main.py'], input: 'file://data', excluded_paths: ['data'] }),
      'main.py': 'print("input")\n',
      'data/a.csv': '1,2\n',
      'data/deep/env.sh': `export PLZ_TOKEN=${stack.token}\n`,
    });
    const refused = await stack.plz(dir, ['run', '--queue-without-worker', '--json']);
    expect(refused.status).toBe(120);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'token_in_upload', message: expect.stringContaining('deep/env.sh') } });
    expect((await executionsOf('secrets-input')).executions).toEqual([]);

    // Once the input is clean, the same snapshot is uploaded now: it was not before.
    writeFileSync(path.join(dir, 'data', 'deep', 'env.sh'), 'export PLZ_TOKEN=...\n');
    const accepted = await stack.plz(dir, ['run', '--detach', '--queue-without-worker']);
    expect(accepted.status).toBe(0);
    expect(accepted.stdout + accepted.stderr).toMatch(/snapshot [0-9a-f]{12}: 1 files, \d+ KiB, uploaded/);
    expect(accepted.stdout + accepted.stderr).toMatch(/input [0-9a-f]{12}: uploaded/);
  }, 120_000);
});

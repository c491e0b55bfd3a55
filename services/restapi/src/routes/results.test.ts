import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { HistoryLine, logStreamKey } from '@plz/contracts';
import { s3Client, testServices } from '@plz/testkit';
import tar from 'tar-stream';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { sha256, spec, storeBlob } from '../testing/fixtures.js';

let api: TestApi;
let snapshot: string;
const s3 = s3Client(testServices().s3);

beforeAll(async () => {
  api = await startTestApi({ logs: { blockMs: 200, pageSize: 3, maxQueued: 50 } });
  snapshot = await storeBlob(api, 'snapshots');
}, 30_000);
afterAll(async () => {
  s3.destroy();
  await api?.close();
});

async function submit(overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const answer = await api.call('POST', '/api/v1/executions', { token: api.admin.token, json: spec(snapshot, overrides) });
  if (answer.status !== 201) throw new Error(answer.text);
  return answer.json;
}

/** What a worker does to a row (direct UPDATE, as the brief's worker protocol says). */
async function workerSets(id: string, fields: Record<string, unknown>): Promise<void> {
  await api.runtime.db('executions').where({ id }).update({ ...fields, updated_at: api.runtime.db.fn.now() });
}

/** Adds log lines as a worker does (XADD plz:logs:<id> stream=... line=...), optionally with given entry ids. */
async function log(id: string, lines: Array<string | [string, string]>): Promise<void> {
  for (const item of lines) {
    const [entryId, line] = typeof item === 'string' ? ['*', item] : item;
    await api.redis.xadd(logStreamKey(id), 'MAXLEN', '~', 10000, entryId, 'stream', 'stdout', 'line', line);
  }
}

async function putArtifact(experiment: string, run: string, path: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: api.buckets.mlflow, Key: `${experiment}/${run}/artifacts/${path}`, Body: body }));
}

async function untar(bytes: Buffer): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        files[header.name] = Buffer.concat(chunks);
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([bytes]).pipe(extract);
  await done;
  return files;
}

async function fetchBytes(path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.admin.token}` } });
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('logs', () => {
  it('reads the live stream of a running execution, from the start or from a time', async () => {
    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    await log(id, [['1000-0', 'one'], ['2000-0', 'two'], ['3000-0', 'three'], ['4000-0', 'four']]);
    const all = await api.call('GET', `/api/v1/executions/${id}/logs`, { token: api.admin.token });
    expect([all.status, all.headers.get('content-type'), all.text]).toEqual([200, 'text/plain; charset=utf-8', 'one\ntwo\nthree\nfour\n']);
    const since = await api.call('GET', `/api/v1/executions/${id}/logs?since=1970-01-01T00:00:02.000Z`, { token: api.admin.token });
    expect(since.text).toBe('two\nthree\nfour\n');
  });

  it('keeps only the streams asked for (quiet_build: no build lines), live and while an ended log is still in Redis', async () => {
    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    for (const [stream, line] of [['system', '[plz] building'], ['build', 'Step 1/3 : FROM python'], ['stdout', 'epoch 1'], ['stderr', 'warning'], ['build', 'Step 2/3']]) {
      await api.redis.xadd(logStreamKey(id), '*', 'stream', stream!, 'line', line!);
    }
    const quiet = await api.call('GET', `/api/v1/executions/${id}/logs?streams=stdout,stderr,system`, { token: api.admin.token });
    expect(quiet.text).toBe('[plz] building\nepoch 1\nwarning\n');
    expect((await api.call('GET', `/api/v1/executions/${id}/logs?streams=build`, { token: api.admin.token })).text).toBe('Step 1/3 : FROM python\nStep 2/3\n');
    await workerSets(id, { state: 'succeeded', exit_code: 0 });
    expect((await api.call('GET', `/api/v1/executions/${id}/logs?streams=stdout`, { token: api.admin.token })).text).toBe('epoch 1\n');
    expect((await api.call('GET', `/api/v1/executions/${id}/logs`, { token: api.admin.token })).text).toContain('Step 2/3\n');
  });

  it('follows until the end entry', async () => {
    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    await log(id, ['before']);
    const reading = api.call('GET', `/api/v1/executions/${id}/logs?follow=true`, { token: api.admin.token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await log(id, ['during 1', 'during 2']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await log(id, ['last']);
    await api.redis.xadd(logStreamKey(id), '*', 'end', 'succeeded');
    await log(id, ['after the end is not read']);
    expect((await reading).text).toBe('before\nduring 1\nduring 2\nlast\n');
  });

  it('stops following when the execution ended without an end entry', async () => {
    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    const reading = api.call('GET', `/api/v1/executions/${id}/logs?follow=true&since=start`, { token: api.admin.token });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await log(id, ['dying']);
    await workerSets(id, { state: 'error', error: 'worker lost' });
    expect((await reading).text).toBe('dying\n');
  });

  it('shares one Redis reader among every follower of the process, and lets go of a follower that went away', async () => {
    const executions = [await submit(), await submit()];
    for (const { id } of executions) {
      await workerSets(id, { state: 'running' });
      await log(id, [`${id} first`]);
    }
    const connections = async () => ((await api.redis.client('LIST')) as string).trim().split('\n').length;
    const before = await connections();
    const controller = new AbortController();
    const followers = Array.from({ length: 40 }, (_, index) => {
      const { id } = executions[index % 2]!;
      return fetch(`${api.url}/api/v1/executions/${id}/logs?follow=true`, { headers: { authorization: `Bearer ${api.admin.token}` }, signal: controller.signal }).then(async (response) => {
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return { id, text };
          text += value;
        }
      });
    });
    for (let i = 0; i < 100 && api.runtime.services.logs.following.followers < 40; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.runtime.services.logs.following).toEqual({ executions: 2, followers: 40 });
    // one reader for all of them, whatever their number
    expect((await connections()) - before).toBeLessThanOrEqual(1);
    expect(((await api.redis.client('LIST')) as string).match(/name=plz-log-followers /g)).toHaveLength(1);
    for (let line = 1; line <= 12; line += 1) for (const { id } of executions) await log(id, [`${id} line ${line}`]);
    for (const { id } of executions) await api.redis.xadd(logStreamKey(id), '*', 'end', 'succeeded');
    const read = await Promise.all(followers);
    for (const { id, text } of read) expect(text).toBe([`${id} first`, ...Array.from({ length: 12 }, (_, index) => `${id} line ${index + 1}`)].map((line) => `${line}\n`).join(''));
    expect(api.runtime.services.logs.following).toEqual({ executions: 0, followers: 0 });

    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    const leaving = await fetch(`${api.url}/api/v1/executions/${id}/logs?follow=true`, { headers: { authorization: `Bearer ${api.admin.token}` }, signal: controller.signal });
    expect(leaving.status).toBe(200);
    for (let i = 0; i < 50 && api.runtime.services.logs.following.followers === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.runtime.services.logs.following.followers).toBe(1);
    controller.abort();
    for (let i = 0; i < 50 && api.runtime.services.logs.following.followers > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.runtime.services.logs.following).toEqual({ executions: 0, followers: 0 });
  });

  it('gives a follower that falls behind every line once, in order', async () => {
    const { id } = await submit();
    await workerSets(id, { state: 'running' });
    const reading = fetch(`${api.url}/api/v1/executions/${id}/logs?follow=true`, { headers: { authorization: `Bearer ${api.admin.token}` } });
    for (let i = 0; i < 50 && api.runtime.services.logs.following.followers === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = Array.from({ length: 3000 }, (_, index) => `burst ${index}`);
    const pipeline = api.redis.pipeline();
    for (const line of lines) pipeline.xadd(logStreamKey(id), '*', 'stream', 'stdout', 'line', line);
    pipeline.xadd(logStreamKey(id), '*', 'end', 'succeeded');
    await pipeline.exec();
    expect(await (await reading).text()).toBe(lines.map((line) => `${line}\n`).join(''));
  });

  it('serves the stored log once the execution is over, else the stream', async () => {
    const { id } = await submit();
    await log(id, ['streamed']);
    await workerSets(id, { state: 'succeeded', mlflow_experiment_id: '3', mlflow_run_id: 'run-logs' });
    expect((await api.call('GET', `/api/v1/executions/${id}/logs`, { token: api.admin.token })).text).toBe('streamed\n');
    await putArtifact('3', 'run-logs', 'logs/execution.log', 'stored line 1\nstored line 2\n');
    expect((await api.call('GET', `/api/v1/executions/${id}/logs?follow=true`, { token: api.admin.token })).text).toBe('stored line 1\nstored line 2\n');
  });

  it('refuses unknown executions and bad queries', async () => {
    expect((await api.call('GET', '/api/v1/executions/4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f/logs', { token: api.admin.token })).status).toBe(404);
    const { id } = await submit();
    for (const query of ['since=yesterday', 'follow=yes', 'tail=5', 'streams=', 'streams=stdout,video', 'streams=stdout&streams=build']) {
      expect([query, (await api.call('GET', `/api/v1/executions/${id}/logs?${query}`, { token: api.admin.token })).status]).toEqual([query, 400]);
    }
  });
});

describe('output', () => {
  it('streams the output files as a tar, all or one sub-path', async () => {
    const { id } = await submit();
    const big = randomBytes(3 * 1024 ** 2);
    await workerSets(id, { state: 'succeeded', mlflow_experiment_id: '5', mlflow_run_id: 'run-out' });
    await putArtifact('5', 'run-out', 'output/a.txt', 'A');
    await putArtifact('5', 'run-out', 'output/sub/b.bin', big);
    await putArtifact('5', 'run-out', 'output/subway.txt', 'S');
    await putArtifact('5', 'run-out', 'logs/execution.log', 'not output');
    const all = await fetchBytes(`/api/v1/executions/${id}/output`);
    expect([all.status, all.type]).toEqual([200, 'application/x-tar']);
    const files = await untar(all.bytes);
    expect(Object.keys(files).sort()).toEqual(['a.txt', 'sub/b.bin', 'subway.txt']);
    expect(sha256(files['sub/b.bin']!)).toBe(sha256(big));
    expect(Object.keys(await untar((await fetchBytes(`/api/v1/executions/${id}/output?path=sub`)).bytes))).toEqual(['sub/b.bin']);
    expect(Object.keys(await untar((await fetchBytes(`/api/v1/executions/${id}/output?path=sub/`)).bytes))).toEqual(['sub/b.bin']);
    expect(Object.keys(await untar((await fetchBytes(`/api/v1/executions/${id}/output?path=a.txt`)).bytes))).toEqual(['a.txt']);
    const none = await api.call('GET', `/api/v1/executions/${id}/output?path=missing`, { token: api.admin.token });
    expect([none.status, none.json.error.code]).toEqual([404, 'no_output']);
  });

  it('answers 404 when there is no output, 400 for paths leaving the output', async () => {
    const { id } = await submit();
    const none = await api.call('GET', `/api/v1/executions/${id}/output`, { token: api.admin.token });
    expect([none.status, none.json.error.code]).toEqual([404, 'no_output']);
    for (const path of ['../secrets', '/etc/passwd', 'a/../../b', 'a//b', '.']) {
      const answer = await api.call('GET', `/api/v1/executions/${id}/output?path=${encodeURIComponent(path)}`, { token: api.admin.token });
      expect([path, answer.status]).toEqual([path, 400]);
    }
    expect((await api.call('GET', '/api/v1/executions/4f7c1d2e-8a9b-4c3d-9e8f-1a2b3c4d5e6f/output', { token: api.admin.token })).status).toBe(404);
  });
});

describe('measures and history', () => {
  it('returns measures, or only the summary', async () => {
    const { id } = await submit();
    const before = await api.call('GET', `/api/v1/executions/${id}/measures`, { token: api.admin.token });
    expect(before.json).toEqual({ id, state: 'queued', measures: null, summary: null });
    await workerSets(id, { state: 'succeeded', measures: JSON.stringify({ loss: { epoch_1: 0.5 } }), summary: JSON.stringify({ accuracy: 0.9 }) });
    const all = await api.call('GET', `/api/v1/executions/${id}/measures`, { token: api.admin.token });
    expect(all.json).toEqual({ id, state: 'succeeded', measures: { loss: { epoch_1: 0.5 } }, summary: { accuracy: 0.9 } });
    const summary = await api.call('GET', `/api/v1/executions/${id}/measures?summary=true`, { token: api.admin.token });
    expect(summary.json).toEqual({ id, state: 'succeeded', summary: { accuracy: 0.9 } });
    expect((await api.call('GET', `/api/v1/executions/${id}/measures?summary=1`, { token: api.admin.token })).status).toBe(400);
  });

  it('returns the history of a project keyed by execution id', async () => {
    const first = await submit({ project: 'hist', parameters: { lr: 1 } });
    const second = await submit({ project: 'hist', parameters: { lr: 2 } });
    await submit({ project: 'other' });
    await workerSets(first.id, { state: 'succeeded', measures: JSON.stringify({ loss: 0.1 }), summary: JSON.stringify({ best: 1 }), exit_code: 0 });
    const answer = await api.call('GET', '/api/v1/history?project=hist', { token: api.admin.token });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json)).toEqual([first.id, second.id]);
    expect(answer.json[first.id]).toEqual({
      metadata: expect.objectContaining({ id: first.id, project: 'hist', state: 'succeeded', exit_code: 0, snapshot, user: 'admin' }),
      parameters: { lr: 1 },
      measures: { loss: 0.1, summary: { best: 1 } },
      summary: { best: 1 },
    });
    expect(answer.json[first.id].metadata).not.toHaveProperty('user_id');
    expect(answer.json[second.id]).toMatchObject({ parameters: { lr: 2 }, measures: null, summary: null });
    expect((await api.call('GET', '/api/v1/history?project=nothing-here', { token: api.admin.token })).json).toEqual({});
    expect((await api.call('GET', '/api/v1/history', { token: api.admin.token })).status).toBe(400);
  });

  it('pages through a large project history', async () => {
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      id: crypto.randomUUID(),
      project: 'large',
      user_id: api.admin.identity.id,
      state: 'succeeded',
      queue: 'cpu',
      snapshot,
      parameters: JSON.stringify({ i }),
      created_at: new Date(Date.UTC(2024, 0, 1) + i * 1000),
    }));
    await api.runtime.db.batchInsert('executions', rows, 500);
    const answer = await api.call('GET', '/api/v1/history?project=large', { token: api.admin.token });
    const values = Object.values(answer.json) as Array<{ parameters: { i: number } }>;
    expect(values.map((value) => value.parameters.i)).toEqual(rows.map((_, i) => i));
  });

  it('streams a history as lines, every execution once and in order across batches, ties of created_at included', async () => {
    // 1,203 executions over 3 batches of 500; 20 share one created_at across the first batch's end,
    // so the key (created_at, id) has to order and page them by id.
    const tie = new Date(Date.UTC(2024, 0, 1, 12));
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      id: crypto.randomUUID(),
      project: 'lines',
      user_id: api.admin.identity.id,
      state: 'succeeded',
      queue: 'cpu',
      snapshot,
      parameters: JSON.stringify({ i }),
      summary: i % 2 ? JSON.stringify({ accuracy: i / 1203 }) : null,
      created_at: i >= 490 && i < 510 ? tie : new Date(Date.UTC(2024, 0, 1) + i * 1000),
    }));
    await api.runtime.db.batchInsert('executions', rows, 500);
    const order = rows.map((row, i) => ({ ...row, i })).sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : 1));
    const answer = await api.call('GET', '/api/v1/history?project=lines', { token: api.admin.token, headers: { accept: 'application/x-ndjson' } });
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'application/x-ndjson; charset=utf-8']);
    expect(answer.text.endsWith('\n')).toBe(true);
    const lines = answer.text.trimEnd().split('\n').map((line) => HistoryLine.parse(JSON.parse(line)));
    expect(lines.map((line) => line.id)).toEqual(order.map((row) => row.id));
    expect(lines.map((line) => (line.entry.parameters as { i: number }).i)).toEqual(order.map((row) => row.i));
    // The same entries as the JSON object, which stays the answer without that Accept.
    const object = await api.call('GET', '/api/v1/history?project=lines', { token: api.admin.token });
    expect(object.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Object.keys(object.json)).toEqual(order.map((row) => row.id));
    expect(Object.fromEntries(lines.map((line) => [line.id, line.entry]))).toEqual(object.json);
    const empty = await api.call('GET', '/api/v1/history?project=nothing-here', { token: api.admin.token, headers: { accept: 'application/x-ndjson' } });
    expect([empty.status, empty.text]).toEqual([200, '']);
  });

  it('answers a clean error, not a cut answer, when the history cannot be read', async () => {
    // The fault: the read's join fails (users renamed away for this request, in this file's own database).
    await submit({ project: 'unreadable' });
    await api.runtime.db.raw('ALTER TABLE users RENAME TO users_away');
    try {
      for (const headers of [{}, { accept: 'application/x-ndjson' }] as Array<Record<string, string>>) {
        const answer = await api.call('GET', '/api/v1/history?project=unreadable', { token: api.admin.token, headers });
        expect([answer.status, answer.headers.get('content-type'), answer.json?.error?.code]).toEqual([500, 'application/json; charset=utf-8', 'internal']);
      }
    } finally {
      await api.runtime.db.raw('ALTER TABLE users_away RENAME TO users');
    }
  });
});

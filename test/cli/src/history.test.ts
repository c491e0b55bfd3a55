import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStack, type Stack } from './stack.js';

// `plz history` prints the history as it reads it (the REST API's lines, issue 17 item 6): piped,
// one execution a line, the same JSON value as the whole object, every execution once and in
// order across the server's batches of 500, and the same from a server that only answers the JSON
// object. (On a terminal it prints the pretty object: cli/src/output.test.ts.)

let stack: Stack;
/** The history as the REST API's JSON object answers it. */
let expected: Record<string, unknown>;

/** `stdout` is one execution a line (`{`, `"id":{…},` …, `}`) and the same JSON value as `expected`, keys in the same order. */
function expectSameHistory(stdout: string): void {
  const lines = stdout.split('\n');
  expect([lines[0], lines.at(-2), lines.at(-1)]).toEqual(['{', '}', '']);
  expect(lines).toHaveLength(Object.keys(expected).length + 3);
  const printed = JSON.parse(stdout) as Record<string, unknown>;
  expect(Object.keys(printed)).toEqual(Object.keys(expected));
  expect(printed).toEqual(expected);
}
const project = 'history-cli';

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const admin = (await stack.runtime.db('users').where({ name: 'admin' }).first('id')) as { id: string };
  // 1,203 executions: 3 batches; 20 share one created_at across the first batch's end (the key is
  // (created_at, id)); every other one has measures and a summary (copied to measures.summary).
  const tie = new Date(Date.UTC(2024, 0, 1, 12));
  const rows = Array.from({ length: 1203 }, (_, i) => ({
    id: randomUUID(),
    project,
    user_id: admin.id,
    state: 'succeeded',
    queue: 'cpu',
    snapshot: 'a'.repeat(64),
    parameters: JSON.stringify({ i, name: `run\n${i}` }),
    measures: i % 2 ? JSON.stringify({ loss: { epoch_1: 1 / (i + 1) } }) : null,
    summary: i % 2 ? JSON.stringify({ accuracy: i / 1203 }) : null,
    created_at: i >= 490 && i < 510 ? tie : new Date(Date.UTC(2024, 0, 1) + i * 1000),
  }));
  await stack.runtime.db.batchInsert('executions', rows, 500);
  const answer = await fetch(`${stack.url}/api/v1/history?project=${project}`, { headers: { authorization: `Bearer ${stack.token}` } });
  expected = (await answer.json()) as Record<string, unknown>;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('plz history', () => {
  it('prints every execution once, oldest first, one a line (piped), as the whole JSON object reads', async () => {
    const dir = stack.project({});
    for (const args of [['history', '--project', project], ['--json', 'history', '--project', project]]) {
      const result = await stack.plz(dir, args);
      expect([result.status, result.stderr]).toEqual([0, '']);
      expectSameHistory(result.stdout);
    }
    const history = expected as Record<string, { parameters: { i: number }; measures: { summary?: unknown } | null; summary: unknown }>;
    expect(Object.values(history)).toHaveLength(1203);
    expect(history[Object.keys(history)[1]!]!.measures).toMatchObject({ summary: { accuracy: 1 / 1203 } });
    const empty = await stack.plz(dir, ['history', '--project', 'nothing-here']);
    expect([empty.status, empty.stdout]).toEqual([0, '{}\n']);
  }, 60_000);

  it('prints the same from a server that answers the whole object (older than lines)', async () => {
    // A stand-in for an older REST API: the JSON object whatever the Accept header, 404 elsewhere.
    const object = JSON.stringify(expected, null, 2);
    const older: Server = createServer((req, res) => {
      if (req.url?.startsWith('/api/v1/history?')) res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(object);
      else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"not here"}}');
    });
    older.listen(0, '127.0.0.1');
    await once(older, 'listening');
    try {
      const result = await stack.plz(stack.project({}), ['history', '--project', project], { env: { PLZ_URL: `http://127.0.0.1:${(older.address() as AddressInfo).port}` } });
      expect(result.status).toBe(0);
      expectSameHistory(result.stdout);
    } finally {
      older.close();
    }
  }, 60_000);
});

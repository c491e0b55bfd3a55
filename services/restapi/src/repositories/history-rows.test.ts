import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { historyEntry } from '../services/executions/history.js';
import { startTestApi, type TestApi } from '../testing/harness.js';
import { ExecutionsRepository } from './executions.js';

// The history entry as the repository writes it (historyEntryText: the measures' text as PostgreSQL
// writes it) against the one Node builds from the parsed row (historyEntry(toRecord(row))), on the
// testkit's real PostgreSQL.

let api: TestApi;
let executions: ExecutionsRepository;

beforeAll(async () => {
  api = await startTestApi();
  executions = new ExecutionsRepository(api.runtime.db);
}, 30_000);
afterAll(async () => {
  await api?.close();
});

/** A jsonb column value as knex inserts it: the JSON text (so that JSON `null` is stored as jsonb null, not SQL NULL). */
const json = (value: unknown): string => JSON.stringify(value);

describe('history entries written with the measures\' text as PostgreSQL gives it', () => {
  it('are the value historyEntry gives for the same row, key order included, for every shape of row', async () => {
    const project = `history-sql-${randomUUID()}`;
    const base = { project, user_id: api.admin.identity.id, queue: 'cpu', snapshot: 'a'.repeat(64) };
    const [sweep] = (await api.runtime.db('sweeps').insert({ project, user_id: api.admin.identity.id, spec: json({ n: 2 }) }).returning('id')) as Array<{ id: string }>;
    const first = randomUUID();
    const at = (text: string): string => text; // timestamptz literals as PostgreSQL reads them
    const rows: Array<Record<string, unknown>> = [
      // Queued, nothing harvested: parameters and resources by default, measures and summary NULL.
      { ...base, id: first, state: 'queued', created_at: at('2024-01-01T00:00:00Z') },
      // Every field set: times with microseconds (truncated to milliseconds as toISOString of pg's Date),
      // nested parameters, measures with a summary, a sweep, a rerun, GPUs, an error.
      {
        ...base, id: randomUUID(), name: 'all "fields"\n\u0001é', tags: json(['a', 'b']), state: 'succeeded', input: json({ kind: 'stored', id: 'b'.repeat(64) }),
        parameters: json({ lr: 0.001, layers: [64, 32], nested: { a: { b: null } }, flag: true }), resources: json({ gpus: 2, memory: 1073741824 }),
        max_run_seconds: 3600, sweep_id: sweep!.id, rerun_of: first, reused_from: first, priority: 0, exit_code: 0, error: 'none', worker_id: 'worker-gpu-0',
        gpus: json(['0', '1']), mlflow_experiment_id: '7', mlflow_run_id: 'c'.repeat(32),
        measures: json({ loss: { epoch_1: 0.5, epoch_2: 0.25 }, accuracy: 0.9234 }), summary: json({ best: 0.9234, epochs: 2 }),
        created_at: at('2024-01-01T00:00:01.123999Z'), started_at: at('2024-01-01T00:00:02.000500Z'), finished_at: at('2024-01-01T00:00:03.999999Z'),
      },
      // Measures with keys JSON.parse reorders (integer-like), numbers PostgreSQL writes otherwise
      // (1.0, 1e-7, 1e21), strings with escapes; summary JSON null; low priority; failed.
      {
        ...base, id: randomUUID(), state: 'failed', priority: 2, exit_code: 3, created_at: at('2024-01-01T00:00:04.5Z'),
        measures: json({ b: 1, a: 2, '10': 3, '2': 4, long_key_name: { '1': 'x', z: '"quoted" \\ back\tslash' } }).replace('"b":1', '"b":1.0,"tiny":1e-7,"big":1e21'),
        summary: json(null),
      },
      // A summary but no measures; a summary and empty measures; a summary where measures have a `summary` key already.
      { ...base, id: randomUUID(), state: 'succeeded', summary: json({ accuracy: 0.5 }), created_at: at('2024-01-01T00:00:05Z') },
      { ...base, id: randomUUID(), state: 'succeeded', measures: json({}), summary: json(0.75), created_at: at('2024-01-01T00:00:06Z') },
      { ...base, id: randomUUID(), state: 'succeeded', measures: json({ a: 1, summary: 'old', z: 2 }), summary: json(['new', 1]), created_at: at('2024-01-01T00:00:07Z') },
      // Measures but no summary; JSON null in every jsonb column that toRecord defaults.
      { ...base, id: randomUUID(), state: 'error', error: 'worker lost', measures: json({ only: { deep: [1, { x: null }] } }), created_at: at('2024-01-01T00:00:08Z') },
      { ...base, id: randomUUID(), state: 'stopped', tags: json(null), input: json(null), parameters: json(null), resources: json(null), gpus: json(null), measures: json(null), created_at: at('2024-01-01T00:00:09Z') },
    ];
    await api.runtime.db('executions').insert(rows);

    const lines = [];
    for await (const row of executions.history(project, 3)) lines.push(row); // batches of 3: two keys crossed
    expect(lines.map((line) => line.id)).toEqual(rows.map((row) => row.id));
    for (const line of lines) {
      const expected = historyEntry((await executions.find(line.id))!);
      // The same value, and the same text once parsed and written again (what `plz history` prints).
      expect(JSON.parse(line.entry)).toEqual(expected);
      expect(JSON.stringify(JSON.parse(line.entry))).toBe(JSON.stringify(expected));
    }
    // Spot checks of the formats toRecord gives.
    const everything = JSON.parse(lines[1]!.entry) as { metadata: Record<string, unknown>; measures: Record<string, unknown> };
    expect(everything.metadata).toMatchObject({ created_at: '2024-01-01T00:00:01.123Z', started_at: '2024-01-01T00:00:02.000Z', finished_at: '2024-01-01T00:00:03.999Z', priority: 'high', user: 'admin' });
    expect(everything.metadata).not.toHaveProperty('user_id');
    expect(Object.keys(everything.measures).at(-1)).toBe('summary');
    expect(JSON.parse(lines[0]!.entry)).toMatchObject({ parameters: {}, measures: null, summary: null, metadata: { tags: [], resources: {}, started_at: null, priority: 'normal' } });
  });

  it('is empty for a project without executions', async () => {
    const lines = [];
    for await (const row of executions.history(`none-${randomUUID()}`)) lines.push(row);
    expect(lines).toEqual([]);
  });
});

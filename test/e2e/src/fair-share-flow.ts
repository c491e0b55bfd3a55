import { expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionStatus, QueuesResponse } from '@plz/contracts';
import type { ComposeProject } from './docker.js';
import { executionIdIn, PlzUser } from './plz-cli.js';

/** What the fair-share checks need from the running deployment (two CPU workers). */
export interface FairShareContext {
  url: string;
  /** The first admin's token. */
  token: string;
  project: ComposeProject;
  /** The generated deployment's folder (its envs/queue.env is changed and restored here). */
  directory: string;
  expectAllHealthy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A claimed execution as the database records it: the order the dispatcher chose. */
interface Claim {
  id: string;
  user: string;
  claimed: number;
  finished: number | null;
  attempts: number;
}

/**
 * Issue 20 on a running deployment with two CPU workers, through `plz` as researchers use it: a
 * colleague's single execution is not stuck behind a sweep; three users take turns; an admin's
 * `--priority high` starts next and a researcher's is refused; the positions `plz status` reports
 * are the order in which the workers then take the executions; `plz workers` shows who waits; with
 * MAX_RUNNING_PER_USER and HIGH_PRIORITY_ALLOWANCE set in envs/queue.env, the cap holds and the
 * allowance is counted. The order is read from `executions.claimed_at` (when a worker took each).
 */
export function fairShareFlow(context: () => FairShareContext): void {
  const run = Date.now().toString(36);
  const users = new Map<string, PlzUser>();
  let admin: PlzUser;
  let folder = '';

  const api = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${context().url}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${context().token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${apiPath}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  /** A researcher (role user) with a token, created as an admin would, and the CLI as them. */
  const researcher = async (name: string): Promise<PlzUser> => {
    const full = `fs-${name}-${run}`;
    await api('POST', '/api/v1/users', { name: full });
    const { token } = await api<{ token: string }>('POST', `/api/v1/users/${full}/tokens`, { name: 'e2e' });
    const user = new PlzUser(context().url, token);
    users.set(full, user);
    return user;
  };
  /** psql as the superuser in the db container (the local socket). */
  const sql = async (query: string): Promise<string[]> => {
    const { stdout } = await context().project.compose(['exec', '-T', 'db', 'psql', '-X', '-At', '-F', ' ', '-U', 'postgres', '-d', 'restapi', '-c', query]);
    return stdout.trim().split('\n').filter(Boolean);
  };
  /** The claims of the executions `ids`, in the order workers took them. */
  const claims = async (ids: readonly string[]): Promise<Claim[]> => {
    const rows = await sql(
      `SELECT e.id, u.name, (extract(epoch FROM e.claimed_at) * 1000)::bigint, coalesce((extract(epoch FROM e.finished_at) * 1000)::bigint, -1), e.attempts FROM executions e JOIN users u ON u.id = e.user_id ` +
        `WHERE e.id IN (${ids.map((id) => `'${id}'`).join(', ')}) AND e.claimed_at IS NOT NULL ORDER BY e.claimed_at, e.id`,
    );
    return rows.map((row) => {
      const [id, user, claimed, finished, attempts] = row.split(' ');
      return { id: id!, user: user!, claimed: Number(claimed), finished: Number(finished) < 0 ? null : Number(finished), attempts: Number(attempts) };
    });
  };
  const status = (id: string) => admin.json<ExecutionStatus>(folder, ['status', id]);
  /** Waits until every execution of `ids` has ended. */
  const settled = async (ids: readonly string[], timeoutMs = 600_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = Number((await sql(`SELECT count(*) FROM executions WHERE id IN (${ids.map((id) => `'${id}'`).join(', ')}) AND finished_at IS NULL`))[0]);
      if (open === 0) return;
      if (Date.now() > deadline) throw new Error(`${open} of ${ids.length} executions still open after ${timeoutMs / 1000} s`);
      await sleep(2000);
    }
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await sleep(1000);
    }
  };
  /** `plz run --detach` in the project folder; the execution id. */
  const submit = async (user: PlzUser, args: string[] = []): Promise<string> => {
    const result = await user.plz(folder, ['run', '--detach', ...args], 300_000);
    if (result.status !== 0) throw new Error(`plz run ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return executionIdIn(result.stdout);
  };
  /** `plz sweep` of `count` short executions; their ids in submission order. */
  const sweep = async (user: PlzUser, count: number): Promise<{ id: string; executions: string[] }> => {
    const file = `sweep-${count}.json`;
    writeFileSync(path.join(folder, file), JSON.stringify({ seconds: [1], index: Array.from({ length: count }, (_, index) => index) }));
    return user.json<{ id: string; executions: string[] }>(folder, ['sweep', '--parameters', file]);
  };
  /** Two long executions of the admin on both workers, so that what is submitted next waits. */
  const blockWorkers = async (): Promise<string[]> => {
    const blockers = [await submit(admin, ['-p', 'block.json']), await submit(admin, ['-p', 'block.json'])];
    await until('both workers to run a blocker', async () => (await claims(blockers)).length === 2);
    return blockers;
  };
  const unblock = async (blockers: readonly string[]) => {
    for (const id of blockers) expect((await admin.plz(folder, ['stop', id])).status).toBe(0);
  };

  it('sets up a short job and researchers', async () => {
    admin = new PlzUser(context().url, context().token);
    folder = admin.project({
      'plz.config.json': JSON.stringify({ project: `fair-share-${run}`, image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'] }),
      'main.py': [
        'import json, os, signal, sys, time',
        'signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))',
        'parameters = json.load(open(os.environ["CONFIGURATION_FILE"]))["parameters"]',
        'time.sleep(parameters.get("seconds", 1))',
        'print("slept", parameters.get("seconds", 1), flush=True)',
      ].join('\n'),
      'block.json': JSON.stringify({ seconds: 900 }),
      'short.json': JSON.stringify({ seconds: 1 }),
    });
    // the job image is built once, here, so that the checks below time executions, not a build
    const warm = await admin.plz(folder, ['run', '-p', 'short.json'], 900_000);
    expect(warm.status).toBe(0);
  }, 900_000);

  it("starts a colleague's execution among the next two, not behind the 30 of a sweep submitted a second earlier", async () => {
    const a = await researcher('sweeper');
    const b = await researcher('colleague');
    const submitted = await sweep(a, 30);
    expect(submitted.executions).toHaveLength(30);
    await sleep(1000);
    const single = await submit(b, ['-p', 'short.json']);
    await until("the colleague's execution to start", async () => (await claims([single])).length === 1);
    const stop = await a.plz(folder, ['sweep', 'stop', submitted.id]);
    expect(stop.status).toBe(0);
    await settled([single, ...submitted.executions]);
    const submittedAt = Number((await sql(`SELECT (extract(epoch FROM created_at) * 1000)::bigint FROM executions WHERE id = '${single}'`))[0]);
    const order = await claims([single, ...submitted.executions]);
    // the sweep started on both workers before; of the starts after the colleague submitted, it is among the first two
    expect(order.filter((claim) => claim.claimed < submittedAt).length).toBeGreaterThanOrEqual(2);
    const next = order.filter((claim) => claim.claimed >= submittedAt);
    expect(next.slice(0, 2).map((claim) => claim.id)).toContain(single);
    expect(order.length).toBeLessThan(31); // the rest of the sweep was stopped in the queue
  }, 900_000);

  it('alternates between three users, puts an admin\'s high priority first, refuses a researcher\'s, and starts them in the positions plz status gave', async () => {
    const [a, b, c] = [await researcher('ann'), await researcher('ben'), await researcher('cid')];
    const blockers = await blockWorkers();
    const sweeps = [await sweep(a, 3), await sweep(b, 3), await sweep(c, 3)];
    const refused = await c.plz(folder, ['run', '--detach', '--priority', 'high', '-p', 'short.json']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('priority high is for admins on this deployment');
    const urgent = await submit(admin, ['--priority', 'high', '-p', 'short.json']);
    const ids = [urgent, ...sweeps.flatMap((created) => created.executions)];

    const positions = new Map<string, number>();
    for (const id of ids) {
      const answer = await status(id);
      expect(answer).toMatchObject({ state: 'queued', priority: id === urgent ? 'high' : 'normal', queue_position: { workers: 2 } });
      positions.set(id, answer.queue_position!.position);
    }
    expect([...positions.values()].sort((x, y) => x - y)).toEqual(ids.map((_, index) => index + 1));
    expect(positions.get(urgent)).toBe(1);
    const printed = await a.plz(folder, ['status', sweeps[0]!.executions[2]!]);
    expect(printed.stdout).toMatch(/in queue cpu/);
    expect(printed.stdout).toMatch(/ahead: /);
    const shares = await admin.json<{ fair_share: QueuesResponse }>(folder, ['workers']);
    const cpu = shares.fair_share.queues['cpu']!;
    expect(cpu.workers).toBe(2);
    for (const name of ['ann', 'ben', 'cid']) expect(cpu.users.find((user) => user.user === `fs-${name}-${run}`)).toMatchObject({ waiting: { high: 0, normal: 3, low: 0 }, running: 0 });
    const table = await admin.plz(folder, ['workers']);
    expect(table.stdout).toContain(`fs-ann-${run}`);

    await unblock(blockers);
    await settled(ids);
    const order = await claims(ids);
    expect(order.map((claim) => claim.id)).toEqual([...positions].sort((x, y) => x[1] - y[1]).map(([id]) => id));
    expect(order.slice(1).map((claim) => claim.user.split('-')[1])).toEqual(['ann', 'ben', 'cid', 'ann', 'ben', 'cid', 'ann', 'ben', 'cid']);
    expect(order.every((claim) => claim.attempts === 1)).toBe(true);
  }, 1_200_000);

  it('holds each user to MAX_RUNNING_PER_USER and counts HIGH_PRIORITY_ALLOWANCE, set in envs/queue.env', async () => {
    const { project, directory, expectAllHealthy } = context();
    const file = path.join(directory, 'envs', 'queue.env');
    const original = readFileSync(file, 'utf8');
    const apply = async (text: string) => {
      writeFileSync(file, text);
      await project.compose(['up', '-d', '--wait'], 600_000);
      await expectAllHealthy();
    };
    try {
      await apply(original.replace(/^MAX_RUNNING_PER_USER=.*$/m, 'MAX_RUNNING_PER_USER=1').replace(/^HIGH_PRIORITY_ALLOWANCE=.*$/m, 'HIGH_PRIORITY_ALLOWANCE=1'));
      expect(await api<QueuesResponse>('GET', '/api/v1/queues')).toMatchObject({ max_running_per_user: 1, high_priority_allowance: 1 });
      const [capped, other] = [await researcher('capped'), await researcher('other')];
      const sweepOf = await sweep(capped, 4);
      await sleep(1000);
      const single = await submit(other, ['-p', 'short.json']);
      const first = await submit(capped, ['--priority', 'high', '-p', 'short.json']);
      const second = await capped.plz(folder, ['run', '--detach', '--priority', 'high', '-p', 'short.json']);
      expect(second.status).not.toBe(0);
      expect(second.stderr).toContain('priority high is over your allowance: 1 high-priority execution per 24 h');
      const ids = [...sweepOf.executions, single, first];
      await settled(ids);
      const order = await claims(ids);
      expect(order).toHaveLength(ids.length);
      const mine = order.filter((claim) => claim.user === `fs-capped-${run}`);
      // one at a time: each of the capped user's executions was taken after the one before ended
      for (let index = 1; index < mine.length; index += 1) expect(mine[index]!.claimed).toBeGreaterThanOrEqual(mine[index - 1]!.finished!);
      // while they waited, the other worker ran the other user's execution
      expect(order.find((claim) => claim.id === single)!.claimed).toBeLessThan(mine.at(-1)!.claimed);
    } finally {
      await apply(original);
    }
  }, 1_200_000);

  it('cleans up its users', () => {
    for (const user of users.values()) user.dispose();
    admin?.dispose();
  });
}

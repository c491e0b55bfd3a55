import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueuesResponse, WorkersResponse } from '@plz/contracts';
import { executionId as id, queuedStatus as queued } from './fixtures.js';

// The commands of issue 20 (priorities and fair share) against a stand-in for the REST API on a
// loopback port: what each sends, what it prints, and what it refuses before sending anything.
// The built CLI runs as a child process (npx tsc -b cli first), as in ca.test.ts.

const cli = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));

interface Call {
  method: string;
  path: string;
  body: unknown;
}
type Answer = { status: number; body?: unknown };

/** The stand-in's answers by `METHOD /path` (a test replaces some), and the calls it got. */
let routes: Record<string, Answer>;
let calls: Call[];
let server: Server;
let url: string;

const workers: WorkersResponse = {
  workers: [{ worker_id: 'w1', queue: 'cpu', gpus: [], execution_id: null, hostname: 'h', started_at: null, heartbeat_at: '2026-11-29T10:00:00Z', heartbeat_age_seconds: 2, limits: null }],
  queues: { cpu: { waiting: 1, active: 0, delayed: 0 } },
};
const queues: QueuesResponse = {
  window_seconds: 86_400,
  quantum_seconds: 300,
  max_running_per_user: 2,
  high_priority_allowance: 3,
  queues: { cpu: { gpus_per_worker: 0, workers: 1, waiting: 1, running: 0, users: [{ user: 'ada', waiting: { high: 0, normal: 1, low: 0 }, running: 0, usage_seconds: 5400, gpu_seconds: 0, next_position: 1 }] } },
};
const record = { id, queue: 'cpu', state: 'queued', priority: 'normal' };
const refusedHigh: Answer = { status: 403, body: { error: { code: 'priority_not_allowed', message: 'ada has used 3 of 3 high-priority executions in the last 24 h' } } };

function defaultRoutes(): Record<string, Answer> {
  return {
    'GET /api/v1/me': { status: 200, body: { id: 'u1', name: 'ada', role: 'user' } },
    'GET /api/v1/executions': { status: 200, body: { executions: [{ id }], next_cursor: null } },
    [`GET /api/v1/executions/${id}/status`]: { status: 200, body: queued },
    [`PUT /api/v1/executions/${id}/priority`]: { status: 200, body: { ...queued, priority: 'high', queue_position: { ...queued.queue_position, position: 1, ahead: [], estimated_start_seconds: 0 } } },
    [`POST /api/v1/executions/${id}/rerun`]: { status: 201, body: record },
    'POST /api/v1/executions': { status: 201, body: record },
    'POST /api/v1/sweeps': { status: 201, body: { id, executions: [id] } },
    'GET /api/v1/workers': { status: 200, body: workers },
    'GET /api/v1/queues': { status: 200, body: queues },
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const route = `${request.method} ${new URL(request.url ?? '/', 'http://x').pathname}`;
      calls.push({ method: request.method ?? '', path: route.split(' ')[1]!, body: text && request.headers['content-type'] === 'application/json' ? JSON.parse(text) : undefined });
      // Every snapshot is already stored (HEAD answers 200): run and sweep upload nothing.
      const answer = routes[route] ?? (route.startsWith('HEAD /api/v1/snapshots/') ? { status: 200 } : { status: 404, body: { error: { code: 'not_found', message: `no route ${route}` } } });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

beforeEach(() => {
  routes = defaultRoutes();
  calls = [];
});

/** A project folder (plz.config.json with `config` added) to run plz in, with its own HOME and XDG folders. */
function project(config: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-priority-'));
  writeFileSync(path.join(dir, 'plz.config.json'), JSON.stringify({ project: 'digits', command: ['python', 'main.py'], ...config }));
  writeFileSync(path.join(dir, 'main.py'), 'print("hello")\n');
  writeFileSync(path.join(dir, 'sets.json'), JSON.stringify([{ lr: 0.1 }, { lr: 0.01 }]));
  return dir;
}

/** Runs the built plz in `cwd` against the stand-in; `env` adds variables. */
function plz(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', HOME: cwd, XDG_CONFIG_HOME: path.join(cwd, 'xdg'), XDG_CACHE_HOME: path.join(cwd, 'cache'), PLZ_URL: url, PLZ_TOKEN: 'token-of-ada', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

/** The calls other than the once-a-day version check. */
const apiCalls = (): Call[] => calls.filter((call) => call.path !== '/api/v1/version');
const bodyOf = (method: string, path: string): unknown => calls.find((call) => call.method === method && call.path === path)?.body;

describe('plz status', () => {
  it('prints where a queued execution stands, and the whole answer with --json', async () => {
    const dir = project();
    const text = await plz(dir, ['status', id]);
    expect(text.stdout.split('\n')).toEqual([`${id}: queued`, '  priority normal, 3rd in queue cpu', '  ahead: alice 2, bob 1', '  starts in about 2 min', '']);
    expect(text.status).toBe(0);
    const json = await plz(dir, ['--json', 'status', id]);
    expect(JSON.parse(json.stdout)).toEqual(queued);
  }, 30_000);
});

describe('plz priority', () => {
  it('sets the priority of the given or the last execution and prints its new status', async () => {
    const dir = project();
    const given = await plz(dir, ['priority', 'high', id]);
    expect(given.stdout.split('\n').slice(0, 3)).toEqual([`${id}: queued`, '  priority high, 1st in queue cpu', '  ahead: nobody']);
    expect(given.status).toBe(0);
    expect(bodyOf('PUT', `/api/v1/executions/${id}/priority`)).toEqual({ priority: 'high' });
    calls = [];
    const last = await plz(dir, ['priority', 'low']);
    expect(last.status).toBe(0);
    expect(apiCalls().map((call) => `${call.method} ${call.path}`)).toEqual(['GET /api/v1/me', 'GET /api/v1/executions', `PUT /api/v1/executions/${id}/priority`]);
    expect(bodyOf('PUT', `/api/v1/executions/${id}/priority`)).toEqual({ priority: 'low' });
  }, 30_000);

  it("prints the deployment's refusal with a hint, and refuses a bad level before asking", async () => {
    const dir = project();
    routes[`PUT /api/v1/executions/${id}/priority`] = { status: 409, body: { error: { code: 'not_queued', message: `execution ${id} is running, not queued` } } };
    const running = await plz(dir, ['priority', 'low', id]);
    expect(running.status).toBe(119);
    expect(running.stderr).toContain(`execution ${id} is running, not queued`);
    expect(running.stderr).toContain('hint: only a queued execution changes priority');
    const json = await plz(dir, ['--json', 'priority', 'low', id]);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'not_queued' } });
    calls = [];
    const bad = await plz(dir, ['priority', 'urgent', id]);
    expect(bad.status).toBe(120);
    expect(bad.stderr).toMatch(/value 'urgent' is invalid for argument 'level'\. Allowed choices are high, normal, low/);
    expect(apiCalls()).toEqual([]);
  }, 30_000);
});

describe('plz workers', () => {
  it("prints the workers, then each queue's users by fair share; --json adds fair_share", async () => {
    const dir = project();
    const text = await plz(dir, ['workers']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('w1  on h  cpu      gpus=-  idle');
    expect(text.stdout).toContain('queue cpu: 1 waiting, 0 active, 0 delayed\n\nfair share: use over the last 24 h');
    expect(text.stdout).toContain('  ada   0/1/0          0        1 h 30 min   1st');
    const json = await plz(dir, ['--json', 'workers']);
    expect(JSON.parse(json.stdout)).toEqual({ ...workers, fair_share: queues });
  }, 30_000);

  it('still lists the workers of a deployment older than fair sharing', async () => {
    const dir = project();
    delete routes['GET /api/v1/queues'];
    const text = await plz(dir, ['workers']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('fair share: this deployment does not report it');
    expect(JSON.parse((await plz(dir, ['--json', 'workers'])).stdout)).toMatchObject({ fair_share: null });
  }, 30_000);
});

describe('--priority on run, sweep and rerun', () => {
  it('sends the flag, else the configuration, else nothing', async () => {
    const dir = project({ priority: 'low' });
    expect((await plz(dir, ['run', '--detach', '--priority', 'high'])).status).toBe(0);
    expect(bodyOf('POST', '/api/v1/executions')).toMatchObject({ project: 'digits', priority: 'high' });
    calls = [];
    expect((await plz(dir, ['run', '--detach'])).status).toBe(0);
    expect(bodyOf('POST', '/api/v1/executions')).toMatchObject({ priority: 'low' });
    calls = [];
    expect((await plz(dir, ['run', '--detach'], { PLZ_PRIORITY: 'normal' })).status).toBe(0);
    expect(bodyOf('POST', '/api/v1/executions')).toMatchObject({ priority: 'normal' });
    calls = [];
    expect((await plz(project(), ['run', '--detach'])).status).toBe(0);
    expect(bodyOf('POST', '/api/v1/executions')).not.toHaveProperty('priority');
  }, 60_000);

  it('sends it with a sweep and a rerun', async () => {
    const dir = project();
    expect((await plz(dir, ['sweep', '-p', 'sets.json', '--priority', 'low'])).status).toBe(0);
    expect(bodyOf('POST', '/api/v1/sweeps')).toMatchObject({ priority: 'low', parameters: [{ lr: 0.1 }, { lr: 0.01 }] });
    expect((await plz(dir, ['rerun', id, '--detach', '--priority', 'high'])).status).toBe(0);
    expect(bodyOf('POST', `/api/v1/executions/${id}/rerun`)).toEqual({ priority: 'high' });
    calls = [];
    expect((await plz(dir, ['rerun', id, '--detach'])).status).toBe(0);
    expect(bodyOf('POST', `/api/v1/executions/${id}/rerun`)).toEqual({});
  }, 60_000);

  it('refuses a bad value from the flag or the configuration before uploading anything', async () => {
    const dir = project();
    const flag = await plz(dir, ['run', '--priority', 'urgent']);
    expect(flag.status).toBe(120);
    expect(flag.stderr).toMatch(/option '--priority <level>' argument 'urgent' is invalid\. Allowed choices are high, normal, low/);
    const sweep = await plz(dir, ['sweep', '-p', 'sets.json', '--priority', 'top']);
    expect(sweep.status).toBe(120);
    const env = await plz(dir, ['run'], { PLZ_PRIORITY: 'urgent' });
    expect(env.status).toBe(121);
    expect(env.stderr).toContain('"priority": expected high, normal or low (got "urgent")');
    const file = await plz(project({ priority: 'urgent' }), ['run']);
    expect(file.status).toBe(121);
    expect(file.stderr).toMatch(/plz\.config\.json:\n {2}"priority": expected high, normal or low \(got "urgent"\)/);
    expect(apiCalls()).toEqual([]);
  }, 60_000);

  it("prints the deployment's refusal of high priority with its message and a hint", async () => {
    const dir = project();
    routes['POST /api/v1/executions'] = refusedHigh;
    const run = await plz(dir, ['run', '--priority', 'high']);
    expect(run.status).toBe(119);
    expect(run.stderr).toContain('ada has used 3 of 3 high-priority executions in the last 24 h');
    expect(run.stderr).toContain('hint: high priority is for admins, or within your allowance');
    routes['POST /api/v1/sweeps'] = refusedHigh;
    const sweep = await plz(dir, ['--json', 'sweep', '-p', 'sets.json', '--priority', 'high']);
    expect(sweep.status).toBe(119);
    expect(JSON.parse(sweep.stdout)).toMatchObject({ error: { code: 'priority_not_allowed', message: 'ada has used 3 of 3 high-priority executions in the last 24 h' } });
  }, 60_000);
});

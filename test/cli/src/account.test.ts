import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from './stack.js';

// plz login/logout/whoami, commands outside a project, and user mistakes as named errors, against
// the real REST API (no worker: no job runs here).

describe('plz login, whoami, logout and errors against a real REST API', () => {
  let stack: Stack;
  let outside: string;
  let userFile: string;
  const noEnv = { PLZ_URL: undefined, PLZ_TOKEN: undefined };
  const plz = (args: string[], options: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {}) =>
    stack.plz(options.cwd ?? outside, args, { timeoutMs: 60_000, env: { ...noEnv, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) });

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    outside = stack.project({});
    userFile = path.join(stack.home, '.config', 'plz', 'plz.config.json');
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('says to log in when nothing is configured, and refuses to ask for a token without a terminal', async () => {
    const none = await plz(['whoami']);
    expect(none.status).toBe(121);
    expect(none.stderr).toContain('hint: log in once with: plz login URL');
    const noTerminal = await plz(['login', stack.url]);
    expect(noTerminal.status).toBe(120);
    expect(noTerminal.stderr).toContain('no terminal to ask for the token on');
    expect(noTerminal.stderr).toContain('--token-stdin');
    const noUrl = await plz(['login', '--token-stdin'], { input: stack.token });
    expect(noUrl.status).toBe(120);
    expect(noUrl.stderr).toContain('run plz login URL');
    const badUrl = await plz(['login', 'ftp://x', '--token-stdin'], { input: stack.token });
    expect(badUrl.status).toBe(121);
  }, 60_000);

  it('logs in with --token-stdin: checks the token, stores url and token 0600, keeps other keys', async () => {
    mkdirSync(path.dirname(userFile), { recursive: true, mode: 0o700 });
    writeFileSync(userFile, JSON.stringify({ image: 'python:3.11-slim-bookworm' }));
    const refused = await plz(['login', stack.url, '--token-stdin'], { input: 'not-a-token\n' });
    expect(refused.status).toBe(123);
    expect(JSON.parse(readFileSync(userFile, 'utf8'))).toEqual({ image: 'python:3.11-slim-bookworm' });

    const login = await plz(['login', `${stack.url}/`, '--token-stdin'], { input: `${stack.token}\n` });
    expect(login.stderr).toBe('');
    expect(login.status).toBe(0);
    expect(login.stdout).toContain(`logged in to ${stack.url} as admin (admin)`);
    expect(statSync(userFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(userFile)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(userFile, 'utf8'))).toEqual({ image: 'python:3.11-slim-bookworm', url: stack.url, token: stack.token });

    const who = await plz(['whoami']);
    expect(who.status).toBe(0);
    expect(who.stdout.trim()).toBe(`admin (admin) at ${stack.url}`);
    expect(JSON.parse((await plz(['--json', 'whoami'])).stdout)).toMatchObject({ name: 'admin', role: 'admin', url: stack.url });

    // Without URL, login reuses the configured one.
    const again = await plz(['--json', 'login', '--token-stdin'], { input: stack.token });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ url: stack.url, user: 'admin', file: userFile });
  }, 60_000);

  it('works outside a project: workers, list --all-projects, ping; list alone asks for a project', async () => {
    expect((await plz(['workers'])).stdout).toContain('no live worker');
    const all = await plz(['list', '--all-projects']);
    expect(all.status).toBe(0);
    expect(all.stdout.trim()).toBe('no executions');
    expect(JSON.parse((await plz(['--json', 'list', '--all-projects'])).stdout)).toEqual([]);
    const list = await plz(['list']);
    expect(list.status).toBe(121);
    expect(list.stderr).toContain('--all-projects');
    const missing = await plz(['status', '3f2504e0-4f89-11d3-9a0c-0305e82c3301']);
    expect(missing.status).toBe(119);
    expect(missing.stderr).toContain('hint: check the id');
    const badId = await plz(['--json', 'describe', 'nope']);
    expect(badId.status).toBe(120);
    expect(JSON.parse(badId.stdout)).toMatchObject({ error: { code: 'bad_id', message: '"nope" is not an execution id' } });
  }, 60_000);

  it('names user mistakes in a project: no command, a bad input, a missing input folder, no worker', async () => {
    const noCommand = stack.project({ 'plz.config.json': JSON.stringify({ project: 'errors' }) });
    const a = await plz(['run'], { cwd: noCommand });
    expect(a.status).toBe(121);
    expect(a.stderr).toContain('no "command" in plz.config.json');
    expect(a.stderr).not.toContain('unexpected error');

    const badInput = stack.project({ 'plz.config.json': JSON.stringify({ project: 'errors', command: ['true'], input: 'data' }) });
    const b = await plz(['run'], { cwd: badInput });
    expect(b.status).toBe(121);
    expect(b.stderr).toContain('"input": expected file://PATH');

    const noFolder = stack.project({ 'plz.config.json': JSON.stringify({ project: 'errors', command: ['true'], input: 'file://data' }) });
    const c = await plz(['--json', 'run'], { cwd: noFolder });
    expect(c.status).toBe(121);
    expect(JSON.parse(c.stdout)).toMatchObject({ error: { code: 'input', message: expect.stringContaining('does not exist') } });

    const noWorker = stack.project({ 'plz.config.json': JSON.stringify({ project: 'errors', command: ['true'] }), 'main.py': 'print(1)\n' });
    const d = await plz(['run'], { cwd: noWorker });
    expect(d.status).toBe(119);
    expect(d.stderr).toContain('--queue-without-worker');
    const e = await plz(['sweep', '--queue-without-worker', '-p', 'sets.json'], { cwd: noWorker });
    expect(e.status).toBe(120);
    expect(e.stderr).toContain('does not exist');
  }, 120_000);

  it('honours XDG_CONFIG_HOME and logs out, keeping the other keys', async () => {
    const xdg = path.join(stack.home, 'xdg');
    const login = await plz(['login', stack.url, '--token-stdin'], { input: stack.token, env: { XDG_CONFIG_HOME: xdg } });
    expect(login.status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(xdg, 'plz', 'plz.config.json'), 'utf8'))).toEqual({ url: stack.url, token: stack.token });

    const out = await plz(['logout']);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`logged out of ${stack.url}`);
    expect(JSON.parse(readFileSync(userFile, 'utf8'))).toEqual({ image: 'python:3.11-slim-bookworm' });
    expect((await plz(['whoami'])).status).toBe(121);
    expect((await plz(['whoami'], { env: { XDG_CONFIG_HOME: xdg } })).status).toBe(0);
  }, 60_000);
});

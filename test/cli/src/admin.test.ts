import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CreatedToken, TokenInfo, User } from '@plz/contracts';
import { startStack, type CliResult, type Stack } from './stack.js';

// `plz admin` and `plz ui` against the real REST API (no worker: they run no job), from a folder
// with no plz.config.json: these commands need no project.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `check` every 250 ms until it holds or `ms` passed; returns the last result. */
async function eventually(ms: number, attempt: () => Promise<CliResult>, check: (result: CliResult) => boolean): Promise<CliResult> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await attempt();
    if (check(result) || Date.now() > deadline) return result;
    await sleep(250);
  }
}

describe('plz admin and plz ui against a real REST API', () => {
  let stack: Stack;
  let dir: string;
  let alice: CreatedToken;
  const plz = (args: string[], env: Record<string, string | undefined> = {}) => stack.plz(dir, args, { env, timeoutMs: 60_000 });
  const asAlice = (args: string[]) => plz(args, { PLZ_TOKEN: alice.token });

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    dir = stack.project({});
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('adds users outside a project folder and lists them', async () => {
    const added = await plz(['admin', 'users', 'add', 'alice']);
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('created user alice; give them a token with: plz admin tokens create alice');
    const admin = JSON.parse((await plz(['--json', 'admin', 'users', 'add', 'carol', '--admin'])).stdout) as User;
    expect(admin).toMatchObject({ name: 'carol', role: 'admin', disabled_at: null });

    const table = await plz(['admin', 'users', 'list']);
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ROLE\s+CREATED\s+HIGH ALLOWANCE\s+STATE$/);
    expect(table.stdout).toMatch(/^alice\s+user\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+default\s+active$/m);
    expect(table.stdout).toMatch(/^carol\s+admin\s+.*UTC\s+unlimited\s+active$/m);
    const list = JSON.parse((await plz(['--json', 'admin', 'users', 'list'])).stdout) as { users: User[] };
    expect(list.users.map((user) => user.name).sort()).toEqual(['admin', 'alice', 'carol']);

    const again = await plz(['admin', 'users', 'add', 'alice']);
    expect(again.status).toBe(119);
    const bad = await plz(['admin', 'users', 'add', 'Bad Name']);
    expect(bad.status).toBe(120);
    expect(bad.stderr).toContain('name: expected 1-64 lowercase letters');
  }, 60_000);

  it('creates a token with a label and an expiry, shown once, and the token works', async () => {
    const before = Date.now();
    const created = await plz(['--json', 'admin', 'tokens', 'create', 'alice', '--name', 'laptop', '--expires-in', '30d']);
    expect(created.status).toBe(0);
    alice = JSON.parse(created.stdout) as CreatedToken;
    expect(alice).toMatchObject({ user: 'alice', name: 'laptop', revoked_at: null });
    expect(alice.token.length).toBeGreaterThan(20);
    expect(Math.abs(new Date(alice.expires_at ?? 0).getTime() - (before + 30 * 86_400_000))).toBeLessThan(60_000);

    const ping = await asAlice(['ping']);
    expect(ping.status).toBe(0);
    expect(ping.stdout).toContain('you are alice (user)');
  }, 60_000);

  it('prints the token for people with how to use it, labelled with its creator by default', async () => {
    const created = await plz(['admin', 'tokens', 'create', 'alice']);
    expect(created.status).toBe(0);
    const token = /^ {2}(\S+)$/m.exec(created.stdout)?.[1];
    expect(token).toBeDefined();
    expect(created.stdout).toMatch(new RegExp(`"created by admin on ${new Date().toISOString().slice(0, 10)}", no expiry`));
    expect(created.stdout).toContain('It is shown only this once');
    expect(created.stdout).toContain(`PLZ_URL=${stack.url} and PLZ_TOKEN=<token>`);
    expect(created.stdout).toContain('~/.config/plz/plz.config.json');
    expect((await plz(['ping'], { PLZ_TOKEN: token })).stdout).toContain('you are alice');
  }, 60_000);

  it("lists a user's tokens without their text", async () => {
    const table = await plz(['admin', 'tokens', 'list', 'alice']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${alice.id}\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\s+\\d{4}-.*laptop$`, 'm'));
    expect(table.stdout).not.toContain(alice.token);
    const list = JSON.parse((await plz(['--json', 'admin', 'tokens', 'list', 'alice'])).stdout) as { tokens: TokenInfo[] };
    expect(list.tokens.find((token) => token.id === alice.id)).toMatchObject({ name: 'laptop', expires_at: alice.expires_at, revoked_at: null });
    expect(list.tokens.find((token) => token.id === alice.id)?.last_used_at).not.toBeNull();
  }, 60_000);

  it('refuses a non-admin with a clear message', async () => {
    for (const args of [['admin', 'users', 'list'], ['admin', 'users', 'add', 'dave'], ['admin', 'tokens', 'create', 'alice', '--name', 'x'], ['admin', 'tokens', 'list', 'alice']]) {
      const refused = await asAlice(args);
      expect(refused.status).toBe(123);
      expect(refused.stderr).toContain('this needs an admin token');
    }
    const json = await plz(['--json', 'admin', 'users', 'list'], { PLZ_TOKEN: alice.token });
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('this needs an admin token') } });
  }, 60_000);

  it("sets a user's allowance of high priority, and puts the deployment's back with default", async () => {
    const set = await plz(['admin', 'users', 'set', 'alice', '--high-priority-allowance', '2']);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(set.stdout.trim()).toBe('alice (user, active): high-priority allowance 2 per window');
    expect((await plz(['admin', 'users', 'list'])).stdout).toMatch(/^alice\s+user\s+.*UTC\s+2\s+active$/m);
    const listed = JSON.parse((await plz(['--json', 'admin', 'users', 'list'])).stdout) as { users: User[] };
    expect(listed.users.find((user) => user.name === 'alice')).toMatchObject({ high_priority_allowance: 2 });
    expect(listed.users.find((user) => user.name === 'carol')).toMatchObject({ high_priority_allowance: null });

    const cleared = JSON.parse((await plz(['--json', 'admin', 'users', 'set', 'alice', '--high-priority-allowance', 'default'])).stdout) as User;
    expect(cleared).toMatchObject({ name: 'alice', role: 'user', high_priority_allowance: null });
    expect((await plz(['admin', 'users', 'list'])).stdout).toMatch(/^alice\s+user\s+.*UTC\s+default\s+active$/m);

    const own = await asAlice(['admin', 'users', 'set', 'alice', '--high-priority-allowance', '100']);
    expect(own.status).toBe(123);
    expect(own.stderr).toContain('this needs an admin token');
    const unknown = await plz(['admin', 'users', 'set', 'nobody', '--high-priority-allowance', '1']);
    expect(unknown.status).toBe(119);
    expect(unknown.stderr).toContain('nobody');
  }, 60_000);

  it('checks --expires-in, --high-priority-allowance and the token id before asking the server', async () => {
    const refusals: Array<[string[], RegExp]> = [
      ...['1.5h', '30', '1y', '0d'].map((duration): [string[], RegExp] => [['tokens', 'create', 'alice', '--expires-in', duration], /--expires-in: ".*" is not a duration/]),
      ...['-1', '1.5', 'two', '1000001'].map((value): [string[], RegExp] => [['users', 'set', 'alice', '--high-priority-allowance', value], /--high-priority-allowance: ".*" is (not an allowance|too large)/]),
      [['users', 'set', 'alice'], /nothing to set: give --high-priority-allowance N/],
    ];
    for (const [args, message] of refusals) {
      const refused = await plz(['admin', ...args], { PLZ_URL: 'http://127.0.0.1:9' });
      expect([args, refused.status]).toEqual([args, 120]);
      expect(refused.stderr).toMatch(message);
    }
    const id = await plz(['admin', 'tokens', 'revoke', 'not-an-id'], { PLZ_URL: 'http://127.0.0.1:9' });
    expect(id.status).toBe(120);
    expect(id.stderr).toContain('expected a token id');
  }, 60_000);

  it('revokes a token: it is refused at once', async () => {
    const extra = JSON.parse((await plz(['--json', 'admin', 'tokens', 'create', 'alice', '--name', 'to-revoke'])).stdout) as CreatedToken;
    expect((await plz(['ping'], { PLZ_TOKEN: extra.token })).status).toBe(0);
    const revoked = await plz(['admin', 'tokens', 'revoke', extra.id]);
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain(`token ${extra.id} revoked`);
    const refused = await plz(['ping'], { PLZ_TOKEN: extra.token });
    expect(refused.status).toBe(123);
    expect(refused.stderr).toContain('token was refused');
    expect((await plz(['admin', 'tokens', 'list', 'alice'])).stdout).toMatch(new RegExp(`^${extra.id}\\s+revoked \\d{4}-`, 'm'));
    const unknown = await plz(['admin', 'tokens', 'revoke', '3f2504e0-4f89-11d3-9a0c-0305e82c3301']);
    expect(unknown.status).toBe(119);
  }, 60_000);

  it('lets an expired token go', async () => {
    const short = JSON.parse((await plz(['--json', 'admin', 'tokens', 'create', 'alice', '--name', 'short', '--expires-in', '3s'])).stdout) as CreatedToken;
    expect((await plz(['ping'], { PLZ_TOKEN: short.token })).status).toBe(0);
    await sleep(Math.max(0, new Date(short.expires_at ?? 0).getTime() - Date.now()));
    // The REST API remembers an identity for up to 5 s (AUTH_CACHE_SECONDS), as for a disabled user.
    const refused = await eventually(7_000, () => plz(['ping'], { PLZ_TOKEN: short.token }), (result) => result.status === 5);
    expect(refused.status).toBe(123);
    expect((await plz(['admin', 'tokens', 'list', 'alice'])).stdout).toMatch(new RegExp(`^${short.id}\\s+expired\\s`, 'm'));
  }, 60_000);

  it('reads url and token from the user configuration when the environment has none', async () => {
    mkdirSync(path.join(stack.home, '.config', 'plz'), { recursive: true });
    const userFile = path.join(stack.home, '.config', 'plz', 'plz.config.json');
    const none = await plz(['admin', 'users', 'list'], { PLZ_URL: undefined, PLZ_TOKEN: undefined });
    expect(none.status).toBe(121);
    expect(none.stderr).toContain(`not logged in: no ${userFile} and no PLZ_URL`);
    expect(none.stderr).toContain('plz login URL');
    writeFileSync(userFile, JSON.stringify({ url: stack.url, token: stack.token }));
    try {
      const list = await plz(['admin', 'users', 'list'], { PLZ_URL: undefined, PLZ_TOKEN: undefined });
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(/^alice\s/m);
    } finally {
      writeFileSync(userFile, '{}');
    }
  }, 60_000);

  it('disables a user (their tokens stop working within 5 s) and enables them again', async () => {
    const disabled = await plz(['admin', 'users', 'disable', 'alice']);
    expect(disabled.stderr).toBe('');
    expect(disabled.status).toBe(0);
    expect(disabled.stdout).toContain('alice is disabled');
    const refused = await eventually(7_000, () => asAlice(['ping']), (result) => result.status === 5);
    expect(refused.status).toBe(123);
    expect((await plz(['admin', 'users', 'list'])).stdout).toMatch(/^alice\s+user\s+.*disabled since \d{4}-/m);
    const json = JSON.parse((await plz(['--json', 'admin', 'users', 'list'])).stdout) as { users: User[] };
    expect(json.users.find((user) => user.name === 'alice')?.disabled_at).not.toBeNull();

    const enabled = await plz(['admin', 'users', 'enable', 'alice']);
    expect(enabled.status).toBe(0);
    expect(enabled.stdout).toContain('alice is enabled');
    const back = await eventually(7_000, () => asAlice(['ping']), (result) => result.status === 0);
    expect(back.stdout).toContain('you are alice');
    expect((await plz(['admin', 'users', 'disable', 'nobody'])).status).toBe(119);
    expect((await asAlice(['admin', 'users', 'disable', 'carol'])).stderr).toContain('this needs an admin token');
  }, 60_000);

  it('prints a one-time login link to MLflow, and refuses a second use', async () => {
    const link = await asAlice(['ui', '--no-open']);
    expect(link.stderr).toBe('');
    expect(link.status).toBe(0);
    expect(link.stdout).toContain("you have started no execution yet: the link goes to MLflow's front page");
    expect(link.stdout).toContain('it works once, within 60 s');
    const url = new RegExp(`^${stack.url}/login/link/\\S+$`, 'm').exec(link.stdout)?.[0];
    expect(url).toBeDefined();

    const first = await fetch(url!, { redirect: 'manual' });
    expect(first.status).toBeGreaterThanOrEqual(300);
    expect(first.status).toBeLessThan(400);
    expect(first.headers.get('location')).toContain('/mlflow/');
    expect(first.headers.get('set-cookie')).toBeTruthy();
    const second = await fetch(url!, { redirect: 'manual' });
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(second.headers.get('set-cookie')).toBeFalsy();

    const home = JSON.parse((await asAlice(['--json', 'ui', '--page', 'home'])).stdout) as { url: string; expires_at: string };
    expect(home.url.startsWith(`${stack.url}/login/link/`)).toBe(true);
    expect(Math.abs(new Date(home.expires_at).getTime() - (Date.now() + 60_000))).toBeLessThan(30_000);
  }, 60_000);

  it('explains a bad page, an unknown execution, and an id given with --page', async () => {
    const page = await plz(['ui', '--page', 'grafana', '--no-open']);
    expect(page.status).toBe(120);
    expect(page.stderr).toContain('expected --page mlflow or --page home');
    const both = await plz(['ui', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', '--page', 'home']);
    expect(both.status).toBe(120);
    const unknown = await plz(['ui', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', '--no-open']);
    expect(unknown.status).toBe(119);
  }, 60_000);
});

import { expect, it } from '@jest/globals';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import type { ComposeProject } from './docker.js';
import { toolPaths } from '@plz/testkit';
import { PlzUser, runCommand } from './plz-cli.js';
import { screenshotDir } from './plz-flow.js';

/** What the identity checks need from the running deployment and the flow before them. */
export interface IdentityContext {
  url: string;
  /** The first admin's token (secrets/admin-token). */
  token: string;
  project: ComposeProject;
  /** A finished execution with its MLflow run (metrics `accuracy` per epoch). */
  execution(): { id: string; experimentId: string; runId: string; runName: string; cwd: string };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Python of tools/provision's MLflow virtualenv (beside its `mlflow`), whose client the tests use as researchers would. */
const mlflowPython = (): string => path.join(path.dirname(toolPaths().mlflow), 'python');

/** Starts headless Chromium (Debian's), as the other e2e pages do. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Logs a new browser context in through a one-time link asked for with `token`
 * (`POST /api/v1/auth/login-links`), landing on `next`.
 */
export async function loggedInContext(browser: Browser, url: string, token: string, next = '/mlflow/'): Promise<BrowserContext> {
  const response = await fetch(`${url}/api/v1/auth/login-links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ next }),
  });
  if (response.status !== 201) throw new Error(`login link: ${response.status} ${await response.text()}`);
  const { path: linkPath } = (await response.json()) as { path: string };
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${url}${linkPath}`);
  await page.close();
  return context;
}

/**
 * Issue 12 on a running deployment: nothing but health, docs and the login pages answers without a
 * plz identity; MLflow's own Python client works with a user's token, which may read but not
 * delete; browsers log in with the form or a one-time link from `plz ui`, out again, and an
 * expired session is refused; a revoked token and a disabled user are refused everywhere.
 */
export function identityFlow(context: () => IdentityContext): void {
  let researcher = { name: 'researcher', token: '' };
  const admin = () => ({ authorization: `Bearer ${context().token}`, 'content-type': 'application/json' });
  const api = async (method: string, apiPath: string, body?: unknown) => {
    const response = await fetch(`${context().url}${apiPath}`, { method, headers: admin(), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${apiPath}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  /** A user of role `user` with a token, created through the REST API as an admin would. */
  const newUser = async (name: string): Promise<string> => {
    await api('POST', '/api/v1/users', { name });
    return (await api('POST', `/api/v1/users/${name}/tokens`, { name: 'e2e' }))['token'] as string;
  };

  it('answers nothing but health, docs and the login page without an identity: 401 or a redirect to /login, for GET and POST', async () => {
    const { url, execution } = { url: context().url, execution: context().execution() };
    researcher = { name: `researcher-${Date.now().toString(36)}`, token: '' };
    researcher.token = await newUser(researcher.name);
    const artifact = `/mlflow/api/2.0/mlflow-artifacts/artifacts/${execution.experimentId}/${execution.runId}/artifacts/output/model.pkl`;
    const guarded = [
      '/mlflow/',
      '/mlflow/index.html',
      '/mlflow/static-files/static/js/main.js',
      '/mlflow/health',
      `/mlflow/ajax-api/2.0/mlflow/runs/get?run_id=${execution.runId}`,
      '/mlflow/ajax-api/2.0/mlflow/experiments/search',
      '/mlflow/ajax-api/2.0/mlflow/runs/delete',
      `/mlflow/ajax-api/2.0/mlflow/get-artifact?path=output/model.pkl&run_uuid=${execution.runId}`,
      '/mlflow/ajax-api/2.0/mlflow/upload-artifact',
      '/mlflow/api/2.0/mlflow/experiments/search',
      `/mlflow/api/2.0/mlflow/metrics/get-history?run_id=${execution.runId}&metric_key=accuracy`,
      '/mlflow/api/2.0/mlflow/runs/delete',
      '/mlflow/api/2.0/mlflow/runs/log-batch',
      artifact,
      '/mlflow/api/2.0/mlflow-artifacts/artifacts?path=1',
      '/mlflow/graphql',
      '/api/v1/me',
      '/api/v1/executions',
      `/api/v1/executions/${execution.id}`,
      `/api/v1/executions/${execution.id}/logs`,
      `/api/v1/executions/${execution.id}/output`,
      '/api/v1/users',
      '/api/v1/workers',
      '/api/v1/auth/login-links',
      `/api/v1/snapshots/${'0'.repeat(64)}`,
      '/executions',
      `/executions/${execution.id}`,
      `/executions/${execution.id}/stop`,
      `/executions/${execution.id}/rerun`,
      `/executions/${execution.id}/output/model.pkl`,
      '/sweeps',
      '/workers',
    ];
    const seen: string[] = [];
    for (const target of guarded) {
      for (const method of ['GET', 'POST']) {
        for (const accept of ['application/json', 'text/html']) {
          const response = await fetch(`${url}${target}`, { method, redirect: 'manual', headers: { accept }, ...(method === 'POST' ? { body: '{}' } : {}) });
          const location = response.headers.get('location') ?? '';
          // The REST API answers 404 for a method it has no route for (POST on a GET route), before any identity check.
          const absent = !target.startsWith('/mlflow/') && response.status === 404;
          const verdict = response.status === 401 || ((response.status === 302 || response.status === 303) && location.startsWith('/login?next=')) || absent ? 'refused' : `${response.status} ${location}`;
          seen.push(`${method} ${target} (${accept}): ${verdict}`);
        }
      }
    }
    for (const method of ['PUT', 'DELETE']) {
      const response = await fetch(`${url}${artifact}`, { method, redirect: 'manual', body: method === 'PUT' ? 'overwritten' : null });
      seen.push(`${method} ${artifact}: ${response.status === 401 ? 'refused' : response.status}`);
    }
    expect(seen.filter((line) => !line.endsWith(': refused'))).toEqual([]);
    // A browser opening a page is sent to the login page, with the way back.
    const page = await fetch(`${url}/mlflow/`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect([page.status, page.headers.get('location')]).toEqual([302, '/login?next=%2Fmlflow%2F']);
    // What stays public.
    for (const open of ['/healthz', '/', '/downloads/plz.tgz', '/login', '/api/v1/version', '/api/v1/openapi.json', '/api/docs/']) {
      expect([open, (await fetch(`${url}${open}`)).status]).toEqual([open, 200]);
    }
    expect((await fetch(`${url}/index.html`)).status).toBe(404);
    // The REST API's health routes are for its healthcheck, inside: not published.
    for (const inside of ['/health', '/ready']) expect([inside, (await fetch(`${url}${inside}`)).status]).toEqual([inside, 404]);
    // The web view's assets are public; its pages are not (above).
    for (const open of ['/start', '/static/plz.css', '/static/plz.js', '/favicon.ico']) expect([open, (await fetch(`${url}${open}`)).status]).toEqual([open, 200]);
  }, 300_000);

  /** Runs MLflow's Python client against `<url>/mlflow` with `env` (its own credential variables); prints one JSON line. */
  const mlflowClient = async (env: Record<string, string>) => {
    const { url, execution } = { url: context().url, execution: context().execution() };
    const script = [
      'import json, os, sys',
      'from mlflow.tracking import MlflowClient',
      'client = MlflowClient(tracking_uri=os.environ["TRACKING_URI"])',
      'names = [e.name for e in client.search_experiments()]',
      'steps = sorted(m.step for m in client.get_metric_history(os.environ["RUN_ID"], "accuracy"))',
      'try:',
      '    client.delete_run(os.environ["RUN_ID"])',
      '    deleted = "deleted"',
      'except Exception as error:',
      '    deleted = "refused: " + str(error)[:300]',
      'status = client.get_run(os.environ["RUN_ID"]).info.lifecycle_stage',
      'print(json.dumps({"experiments": names, "steps": steps, "delete": deleted, "lifecycle": status}))',
    ].join('\n');
    const result = await runCommand(mlflowPython(), ['-c', script], {
      env: { PATH: process.env['PATH'] ?? '', TRACKING_URI: `${url}/mlflow`, RUN_ID: execution.runId, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...env },
      timeoutMs: 120_000,
    });
    if (result.status !== 0) throw new Error(`mlflow client exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as { experiments: string[]; steps: number[]; delete: string; lifecycle: string };
  };

  it("lets MLflow's own Python client read with a user's token (Bearer or Basic), and refuses it delete_run (403, PERMISSION_DENIED), the run still there", async () => {
    const bearer = await mlflowClient({ MLFLOW_TRACKING_TOKEN: researcher.token });
    expect(bearer.experiments).toContain('sklearn-digits');
    expect(bearer.steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(bearer.delete).toMatch(/^refused: PERMISSION_DENIED: /);
    expect(bearer.delete).toContain('is for admins');
    expect(bearer.lifecycle).toBe('active');
    const basic = await mlflowClient({ MLFLOW_TRACKING_USERNAME: researcher.name, MLFLOW_TRACKING_PASSWORD: researcher.token });
    expect(basic.experiments).toContain('sklearn-digits');
    expect(basic.delete).toMatch(/^refused: PERMISSION_DENIED: /);
    const none = await runCommand(mlflowPython(), ['-c', 'from mlflow.tracking import MlflowClient; import os; MlflowClient(tracking_uri=os.environ["U"]).search_experiments()'], {
      env: { PATH: process.env['PATH'] ?? '', U: `${context().url}/mlflow`, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
    });
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/UNAUTHENTICATED: this needs a plz identity/);
  }, 300_000);

  it('logs a browser in with the form and back to the page it asked for, renders the run, logs out; the link of plz ui works once; an expired session is refused', async () => {
    const { url, project } = context();
    const execution = context().execution();
    mkdirSync(screenshotDir, { recursive: true });
    const browser = await launchChromium();
    try {
      const runPage = `/mlflow/#/experiments/${execution.experimentId}/runs/${execution.runId}`;
      // Without a session: the login page, with the way back.
      const first = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      const page = await first.newPage();
      await page.goto(`${url}/mlflow/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/mlflow/');
      await page.screenshot({ path: path.join(screenshotDir, 'login.png') });
      // A wrong token: the form again, with the reason.
      await page.fill('#user', researcher.name);
      await page.fill('#token', 'plz_wrong');
      await page.click('button[type=submit]');
      await page.getByText('do not match').waitFor({ timeout: 30_000 });
      await page.fill('#token', researcher.token);
      await page.click('button[type=submit]');
      await page.waitForURL((target) => target.pathname === '/mlflow/', { timeout: 60_000 });
      const cookie = (await first.cookies()).find((c) => c.name === 'plz_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
      expect((cookie!.expires - Date.now() / 1000) / 3600).toBeCloseTo(12, 0);
      // The run page of the finished execution renders, its metrics included.
      await page.goto(`${url}${runPage}`);
      await page.getByText(execution.runName).first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(3000);
      const shot = path.join(screenshotDir, 'mlflow-run-logged-in.png');
      await page.screenshot({ path: shot });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      // Logout: the button, then the login page again for /mlflow/.
      await page.goto(`${url}/logout`);
      await page.getByText(researcher.name).first().waitFor();
      await page.click('button[type=submit]');
      await page.waitForURL((target) => target.pathname === '/login');
      await page.goto(`${url}/mlflow/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await first.close();

      // plz ui: a one-time link to the run page.
      const cli = new PlzUser(url, researcher.token);
      const ui = await cli.plz(execution.cwd, ['--json', 'ui', execution.id, '--no-open']);
      if (ui.status !== 0) throw new Error(`plz ui exited ${ui.status}:\n${ui.stdout}\n${ui.stderr}`);
      const link = (JSON.parse(ui.stdout) as { url: string }).url;
      cli.dispose();
      const second = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      const linked = await second.newPage();
      await linked.goto(link);
      await linked.getByText(execution.runName).first().waitFor({ timeout: 60_000 });
      expect(new URL(linked.url()).pathname).toBe('/mlflow/');
      expect(new URL(linked.url()).hash).toContain(`/runs/${execution.runId}`);
      const third = await browser.newContext();
      const reused = await third.newPage();
      const again = await reused.goto(link);
      expect(again?.status()).toBe(410);
      await reused.getByText('does not work any more').waitFor();
      await reused.goto(`${url}/mlflow/`);
      expect(new URL(reused.url()).pathname).toBe('/login');
      await third.close();

      // An expired session: refused once the REST API's 5 s cache window has passed.
      const expired = await project.compose(['exec', '-T', 'db', 'psql', '-X', '-At', '-U', 'postgres', '-d', 'restapi', '-c',
        `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE ended_at IS NULL AND user_id = (SELECT id FROM users WHERE name = '${researcher.name}')`]);
      expect(expired.stdout.trim()).toMatch(/^UPDATE [1-9]/);
      await sleep(6_000);
      await linked.goto(`${url}/mlflow/`);
      expect(new URL(linked.url()).pathname).toBe('/login');
      await second.close();
    } finally {
      await browser.close();
    }
  }, 600_000);

  it('refuses a revoked token and a disabled user on /api/ and /mlflow/ alike, within the cache window', async () => {
    const { url } = context();
    const name = `leaver-${Date.now().toString(36)}`;
    const token = await newUser(name);
    const second = (await api('POST', `/api/v1/users/${name}/tokens`, { name: 'second' })) as { id: string; token: string };
    const statuses = async (credential: string) => [
      (await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${credential}` } })).status,
      (await fetch(`${url}/mlflow/api/2.0/mlflow/experiments/search?max_results=1`, { headers: { authorization: `Bearer ${credential}` } })).status,
    ];
    expect(await statuses(second.token)).toEqual([200, 200]);
    await api('DELETE', `/api/v1/tokens/${second.id}`);
    await sleep(6_000);
    expect(await statuses(second.token)).toEqual([401, 401]);
    expect(await statuses(token)).toEqual([200, 200]);
    await api('POST', `/api/v1/users/${name}/disable`);
    await sleep(6_000);
    expect(await statuses(token)).toEqual([401, 401]);
    const basic = `Basic ${Buffer.from(`${name}:${token}`).toString('base64')}`;
    expect((await fetch(`${url}/mlflow/api/2.0/mlflow/experiments/search?max_results=1`, { headers: { authorization: basic } })).status).toBe(401);
  }, 120_000);
}

import { afterAll, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ExecutionRecord } from '@plz/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, loggedInContext } from './identity-flow.js';
import { executionIdIn, PlzUser } from './plz-cli.js';
import { screenshotDir } from './plz-flow.js';

/** What the web view checks need from the running deployment (two CPU workers). */
export interface WebContext {
  url: string;
  /** The first admin's token. */
  token: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** axe-core, the accessibility engine, run in the page through the DevTools protocol (the page's CSP allows no injected script). */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeResults {
  violations: { id: string; help: string; nodes: { html: string }[] }[];
  passes: unknown[];
}

/**
 * The WCAG 2.1 A and AA rules (labels, contrast, landmarks, names of links and buttons, ...) that axe
 * finds broken on the page, one line each; [] when none is.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(options: unknown): Promise<AxeResults> } }).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  expect(results.passes.length).toBeGreaterThan(5);
  return results.violations.map((violation) => `${page.url()}: ${violation.id} (${violation.help}): ${violation.nodes.slice(0, 3).map((node) => node.html).join(' | ')}`);
}

/**
 * Issue 16 on a running deployment, in Chromium as a researcher uses it: the executions page shows
 * a queued and a running execution; the log on a running execution's page grows while the page is
 * open; the workers page shows the busy worker; `Stop` on the page ends the execution `stopped`;
 * `Rerun` with a changed parameter makes a new execution that succeeds with it; a sweep's page
 * compares its executions; no page logs a console error or breaks a WCAG 2.1 AA rule that axe-core
 * checks; each page is kept as a screenshot.
 */
export function webFlow(context: () => WebContext): void {
  const run = Date.now().toString(36);
  const projectName = `web-${run}`;
  let admin: PlzUser;
  let folder = '';
  let browser: Browser | undefined;
  let session: BrowserContext;
  const consoleErrors: string[] = [];
  let short = '';

  const api = async <T>(apiPath: string): Promise<T> => {
    const response = await fetch(`${context().url}${apiPath}`, { headers: { authorization: `Bearer ${context().token}` } });
    if (response.status !== 200) throw new Error(`GET ${apiPath}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const stateOf = async (id: string) => (await api<{ state: string }>(`/api/v1/executions/${id}/status`)).state;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await sleep(1000);
    }
  };
  const submitted: string[] = [];
  const submit = async (args: string[]): Promise<string> => {
    const result = await admin.plz(folder, ['run', '--detach', ...args], 300_000);
    if (result.status !== 0) throw new Error(`plz run ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    const id = executionIdIn(result.stdout);
    submitted.push(id);
    return id;
  };

  // Whatever failed: no browser left running (it would keep Jest from exiting).
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
  });
  /** A page of the logged-in browser whose console errors and uncaught exceptions are collected. */
  const openPage = async (target: string): Promise<Page> => {
    const page = await session.newPage();
    // plz's pages only: MLflow's UI (under /mlflow/, reached from them) has errors of its own.
    const ours = () => !new URL(page.url()).pathname.startsWith('/mlflow/');
    page.on('console', (message) => {
      if (message.type() === 'error' && ours()) consoleErrors.push(`${page.url()}: ${message.text()} ${JSON.stringify(message.location())}`);
    });
    page.on('pageerror', (error) => {
      if (ours()) consoleErrors.push(`${page.url()}: ${error.message}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400 && ours()) consoleErrors.push(`${page.url()}: ${response.status()} for ${response.url()}`);
    });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${context().url}${target}`);
    return page;
  };
  const accessibility: string[] = [];
  const shoot = async (page: Page, name: string) => {
    // plz's pages only: MLflow's UI is not ours to fix.
    if (!new URL(page.url()).pathname.startsWith('/mlflow/')) accessibility.push(...(await accessibilityProblems(page)));
    const file = path.join(screenshotDir, `web-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  };

  it('sets up a job that logs as it goes, and a browser session', async () => {
    admin = new PlzUser(context().url, context().token);
    folder = admin.project({
      'plz.config.json': JSON.stringify({ project: projectName, image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'] }),
      'main.py': [
        'import json, os, signal, sys, time',
        'signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))',
        'config = json.load(open(os.environ["CONFIGURATION_FILE"]))',
        'parameters = config["parameters"]',
        'seconds = parameters.get("seconds", 1)',
        'steps = max(1, int(seconds * 2))',
        'for step in range(steps):',
        '    print("step", step, "lr", parameters.get("lr"), flush=True)',
        '    with open(os.path.join(config["measures_directory"], f"epoch_{step}"), "w") as f:',
        '        json.dump({"loss": 1 / (step + 1)}, f)',
        '    time.sleep(0.5)',
        'with open(os.path.join(config["output_directory"], "result.txt"), "w") as f:',
        '    f.write(f"lr={parameters.get(\'lr\')}\\n")',
        'with open(config["summary_measures_path"], "w") as f:',
        '    json.dump({"lr": parameters.get("lr"), "loss": 1 / steps}, f)',
      ].join('\n'),
      'long.json': JSON.stringify({ seconds: 900, lr: 0.01 }),
      'short.json': JSON.stringify({ seconds: 2, lr: 0.1 }),
      'sweep.json': JSON.stringify({ seconds: [1], lr: [0.3, 0.1, 0.2] }),
    });
    const warm = await admin.plz(folder, ['run', '-p', 'short.json'], 900_000);
    expect(warm.status).toBe(0);
    short = executionIdIn(warm.stdout);
    mkdirSync(screenshotDir, { recursive: true });
    browser = await launchChromium();
    session = await loggedInContext(browser, context().url, context().token, '/executions');
  }, 900_000);

  it('lists a queued and a running execution, follows a running log as it grows, and shows the busy worker', async () => {
    const running = [await submit(['-p', 'long.json']), await submit(['-p', 'long.json'])];
    await until('both workers to run a long execution', async () => (await Promise.all(running.map(stateOf))).every((state) => state === 'running'));
    const queued = await submit(['-p', 'long.json']);
    expect(await stateOf(queued)).toBe('queued');

    const list = await openPage(`/executions?project=${projectName}`);
    await list.locator(`a[href="/executions/${queued}"]`).first().waitFor();
    const rowOf = (id: string) => list.locator('tr', { has: list.locator(`a[href="/executions/${id}"]`) });
    await expect(rowOf(queued).locator('.state').textContent()).resolves.toBe('queued');
    await expect(rowOf(running[0]!).locator('.state').textContent()).resolves.toBe('running');
    // times are in the browser's time zone once the script ran (the server writes UTC)
    expect(await list.locator('time').first().textContent()).not.toMatch(/UTC$/);
    await shoot(list, 'executions');

    const page = await openPage(`/executions/${running[0]}`);
    await page.getByText('Following the log as it grows.').waitFor({ timeout: 30_000 });
    const lines = async () => ((await page.locator('#log').textContent()) ?? '').split('\n').filter((line) => line.startsWith('step ')).length;
    const before = await lines();
    await until('the log on the page to grow', async () => (await lines()) >= before + 4, 30_000);
    await shoot(page, 'execution-running');

    const queuedPage = await openPage(`/executions/${queued}`);
    await expect(queuedPage.locator('#position').textContent()).resolves.toMatch(/Position \d+ in queue cpu/);
    await queuedPage.close();

    const workers = await openPage('/workers');
    for (const id of running) await workers.locator(`a[href="/executions/${id}"]`).waitFor();
    expect(await workers.getByText('busy').count()).toBeGreaterThanOrEqual(2);
    await shoot(workers, 'workers');
    await workers.close();

    // Stop on the page: the execution ends `stopped`, and the page says so.
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForURL((target) => target.search.includes('signalled=1') || target.search.includes('stopped=1'));
    await until('the execution stopped from the page to end', async () => (await stateOf(running[0]!)) === 'stopped', 120_000);
    await page.reload();
    await expect(page.locator('.state').first().textContent()).resolves.toBe('stopped');
    await page.close();
    for (const id of [queued, running[1]!]) expect((await admin.plz(folder, ['stop', id])).status).toBe(0);
    await until('the other long executions to end', async () => (await Promise.all([queued, running[1]!].map(stateOf))).every((state) => state === 'stopped'), 120_000);
    await list.close();
  }, 600_000);

  it('reruns with a changed parameter from the page, and the new execution succeeds with it', async () => {
    const page = await openPage(`/executions/${short}`);
    await expect(page.locator('.state').first().textContent()).resolves.toBe('succeeded');
    await page.locator('svg.chart').first().waitFor();
    await shoot(page, 'execution-succeeded');
    await page.fill('#rerun-parameters', JSON.stringify({ seconds: 2, lr: 0.7 }));
    await page.fill('#rerun-name', `rerun-${run}`);
    await page.getByRole('button', { name: 'Rerun', exact: true }).click();
    await page.waitForURL((target) => /^\/executions\/[0-9a-f-]{36}$/.test(target.pathname) && !target.pathname.endsWith(short));
    const rerun = new URL(page.url()).pathname.split('/').at(-1)!;
    await until('the rerun to end', async () => ['succeeded', 'failed', 'error', 'stopped'].includes(await stateOf(rerun)), 300_000);
    const record = await api<ExecutionRecord>(`/api/v1/executions/${rerun}`);
    expect(record).toMatchObject({ state: 'succeeded', rerun_of: short, parameters: { seconds: 2, lr: 0.7 }, summary: { lr: 0.7 } });
    await page.reload();
    await page.getByText('lr=0.7').or(page.locator(`a[href="/executions/${rerun}/output/result.txt"]`)).first().waitFor();
    await expect(page.locator('#log').textContent()).resolves.toContain('lr 0.7');

    // Both ways between plz and MLflow: the page links to the run, in MLflow's model-training view;
    // the run's description links back to the page.
    await page.getByRole('link', { name: 'MLflow run' }).first().click();
    await page.waitForURL((target) => target.pathname === '/mlflow/' && target.hash.includes(`/runs/${record.mlflow_run_id}`));
    expect(new URL(page.url()).hash).toContain('workflowType=machine_learning');
    const back = page.locator(`a[href$="/executions/${rerun}"]`).first();
    await back.waitFor({ timeout: 60_000 });
    await shoot(page, 'mlflow-run');
    // The experiment opened without the query: this browser was set to the model-training view by plz's pages.
    await page.goto(`${context().url}/mlflow/#/experiments/${record.mlflow_experiment_id}`);
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title.startsWith('Runs'), undefined, { timeout: 60_000 });
    await page.goto(`${context().url}/mlflow/#/experiments/${record.mlflow_experiment_id}/runs/${record.mlflow_run_id}`);
    // MLflow opens description links in a new tab.
    const [opened] = await Promise.all([session.waitForEvent('page'), page.locator(`a[href$="/executions/${rerun}"]`).first().click()]);
    await opened.waitForURL((target) => target.pathname === `/executions/${rerun}`);
    await opened.locator('.state-succeeded').first().waitFor();
    await opened.close();
    await page.close();
  }, 600_000);

  it('compares a sweep side by side, shows the Start page, and no page logged a console error', async () => {
    const sweep = await admin.json<{ id: string; executions: string[] }>(folder, ['sweep', '--parameters', 'sweep.json']);
    await until('the sweep to end', async () => (await Promise.all(sweep.executions.map(stateOf))).every((state) => state === 'succeeded'), 300_000);
    const page = await openPage(`/sweeps/${sweep.id}?sort=summary%3Alr&dir=desc`);
    const lrs = await page.locator('tbody tr td:nth-child(3)').allTextContents();
    expect(lrs.map((text) => text.trim())).toEqual(['0.3', '0.2', '0.1']);
    await shoot(page, 'sweep');
    await page.goto(`${context().url}/sweeps`);
    await shoot(page, 'sweeps');
    await page.goto(`${context().url}/start`);
    await shoot(page, 'start');
    await page.close();
    await session.close();
    await browser?.close();
    expect(consoleErrors).toEqual([]);
    expect(accessibility).toEqual([]);
  }, 600_000);

  it('leaves no execution of its own running for the tests after it, whatever failed above', async () => {
    await browser?.close().catch(() => undefined);
    for (const id of submitted) {
      if (['succeeded', 'failed', 'error', 'stopped'].includes(await stateOf(id))) continue;
      await fetch(`${context().url}/api/v1/executions/${id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${context().token}` } });
    }
    await until('every execution of the web checks to end', async () => (await Promise.all(submitted.map(stateOf))).every((state) => ['succeeded', 'failed', 'error', 'stopped'].includes(state)), 120_000);
  }, 180_000);
}

import { expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComposeProject } from './docker.js';
import { identityFlow, launchChromium, loggedInContext } from './identity-flow.js';
import { executionIdIn, PlzUser, runCommand } from './plz-cli.js';

/** Screenshots of the web pages land here (ignored by git), for people to look at. */
export const screenshotDir = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** What the flow needs from the deployment that the enclosing describe brought up. */
export interface FlowContext {
  url: string;
  token: string;
  project: ComposeProject;
  directory: string;
  init(): Promise<unknown>;
  /** The host folder given as `--datasets-directory`. */
  datasets(): string;
  /** Asks compose for NGINX's published address again (a published port 0 changes at each `up`) and returns the new base URL. */
  refreshUrl(): Promise<string>;
}

interface Described {
  id: string;
  state: string;
  worker_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  mlflow_experiment_id: string | null;
  mlflow_run_id: string | null;
  parameters: Record<string, unknown>;
}

/**
 * A project whose job reads the last line of `file` (relative to `datasets_directory` of its
 * CONFIGURATION_FILE), prints "datasets at <dir>, <file> ends with: <line>", then tries to overwrite
 * the file and prints "write: allowed" or "write: refused <reason>" ("read-only" for EROFS).
 */
export function datasetsProbe(user: PlzUser, file: string): string {
  return user.project({
    'plz.config.json': JSON.stringify({ project: 'datasets-check', image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'] }),
    'main.py': [
      'import errno, json, os',
      'config = json.load(open(os.environ["CONFIGURATION_FILE"]))',
      'root = config["datasets_directory"]',
      `file = ${JSON.stringify(file)}`,
      'print(f"datasets at {root}, {file} ends with:", open(os.path.join(root, file)).read().splitlines()[-1], flush=True)',
      'try:',
      '    open(os.path.join(root, file), "w").write("overwritten")',
      '    print("write: allowed")',
      'except OSError as error:',
      '    print("write: refused", "read-only" if error.errno == errno.EROFS else errno.errorcode[error.errno])',
    ].join('\n'),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** sha256 of every regular file under `dir` (relative path → digest), for "nothing changed" checks. */
function digests(dir: string, only: (rel: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      const stat = statSync(path.join(dir, child));
      if (stat.isDirectory()) walk(child);
      else if (only(child)) out[child] = `${createHash('sha256').update(readFileSync(path.join(dir, child))).digest('hex')} ${(stat.mode & 0o777).toString(8)}`;
    }
  };
  walk('');
  return out;
}

/**
 * Issue 7's flow on a running generated deployment: a real training job through `plz run`, its
 * run in MLflow through NGINX, rerun, a sweep over both workers, history for jq, stop, the web
 * pages in headless Chromium, and everything still there after `down` and `up`.
 */
export function plzFlow(context: () => FlowContext): void {
  let user: PlzUser;
  let digits = '';
  let first = '';
  let firstRun = { experimentId: '', runId: '' };
  const runName = `digits-e2e-${Date.now().toString(36)}`;
  const mlflow = (apiPath: string) => `${context().url}/mlflow/api/2.0/mlflow/${apiPath}`;
  const getJson = async <T>(url: string): Promise<T> => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${context().token}` } });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  it('trains sklearn-digits with plz run: logs stream, accuracy above 0.9, the model in the output, every epoch measured', async () => {
    user = new PlzUser(context().url, context().token);
    digits = user.example('sklearn-digits');
    await context().project.withDiagnostics(async () => {
      const result = await user.plz(digits, ['run', '--parameters', 'parameters.json', '--name', runName]);
      if (result.status !== 0) throw new Error(`plz run exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
      first = executionIdIn(result.stdout);
      expect(result.stdout).toMatch(/epoch +20: training loss/);
      const summary = await user.json<{ best_accuracy: number; best_epoch: number }>(digits, ['measures', '-s', first]);
      expect(summary.best_accuracy).toBeGreaterThan(0.9);
      expect(existsSync(path.join(digits, 'output', first, 'model.pkl'))).toBe(true);
      const measures = await user.json<Record<string, { accuracy: number; training_loss: number }>>(digits, ['measures', first]);
      expect(Object.keys(measures).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `epoch_${i + 1}`).sort());
      expect(measures['epoch_20']?.accuracy).toBeGreaterThan(0.9);
    });
  }, 1_200_000);

  it('shows the run in MLflow through NGINX: params, metrics per epoch with steps, output and log artifacts', async () => {
    const execution = await user.json<Described>(digits, ['describe', first]);
    firstRun = { experimentId: execution.mlflow_experiment_id!, runId: execution.mlflow_run_id! };
    const run = await getJson<{ run: { info: { run_name: string; status: string }; data: { params?: Array<{ key: string; value: string }> } } }>(
      mlflow(`runs/get?run_id=${execution.mlflow_run_id}`),
    );
    expect(run.run.info).toMatchObject({ run_name: runName, status: 'FINISHED' });
    expect(run.run.data.params).toEqual(expect.arrayContaining([{ key: 'learning_rate', value: '0.01' }, { key: 'epochs', value: '20' }]));
    const history = await getJson<{ metrics: Array<{ step: number; value: number }> }>(mlflow(`metrics/get-history?run_id=${execution.mlflow_run_id}&metric_key=accuracy`));
    expect(history.metrics.map((m) => m.step).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const listed = await getJson<{ files?: Array<{ path: string }> }>(mlflow(`artifacts/list?run_id=${execution.mlflow_run_id}&path=output`));
    expect(listed.files?.map((f) => f.path)).toContain('output/model.pkl');
    const logs = await getJson<{ files?: Array<{ path: string }> }>(mlflow(`artifacts/list?run_id=${execution.mlflow_run_id}&path=logs`));
    expect(logs.files?.map((f) => f.path)).toContain('logs/execution.log');
  }, 120_000);

  // Issue 12: one identity for the REST API, MLflow and browsers, on this run.
  identityFlow(() => {
    const { url, token, project } = context();
    return {
      url,
      token,
      project,
      execution: () => ({ id: first, experimentId: firstRun.experimentId, runId: firstRun.runId, runName, cwd: digits }),
    };
  });

  it('reruns with another learning rate as a run of its own', async () => {
    writeFileSync(path.join(digits, 'override.json'), JSON.stringify({ learning_rate: 0.05, hidden_units: 64, epochs: 20 }));
    const result = await user.plz(digits, ['rerun', first, '--override-parameters', 'override.json']);
    expect(result.status).toBe(0);
    const second = executionIdIn(result.stdout);
    const [a, b] = await Promise.all([user.json<Described>(digits, ['describe', first]), user.json<Described>(digits, ['describe', second])]);
    expect(b.parameters).toEqual({ learning_rate: 0.05, hidden_units: 64, epochs: 20 });
    expect(b.mlflow_run_id).not.toBe(a.mlflow_run_id);
    expect(b.mlflow_experiment_id).toBe(a.mlflow_experiment_id);
  }, 900_000);

  it('sweeps three learning rates on both workers at once, all succeeding', async () => {
    writeFileSync(path.join(digits, 'sweep.json'), JSON.stringify({ learning_rate: [0.005, 0.01, 0.02], epochs: [20] }));
    const created = await user.json<{ id: string; executions: string[] }>(digits, ['sweep', '--parameters', 'sweep.json']);
    expect(created.executions).toHaveLength(3);
    let states: string[] = [];
    for (let i = 0; i < 600; i++) {
      const status = await user.json<{ executions: Array<{ state: string }> }>(digits, ['sweep', 'status', created.id]);
      states = status.executions.map((e) => e.state);
      if (states.every((s) => ['succeeded', 'failed', 'stopped', 'error'].includes(s))) break;
      await sleep(1000);
    }
    expect(states).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const runs = await Promise.all(created.executions.map((id) => user.json<Described>(digits, ['describe', id])));
    expect(new Set(runs.map((r) => r.worker_id)).size).toBe(2);
    const overlapping = runs.some((a) =>
      runs.some((b) => a.worker_id !== b.worker_id && Date.parse(a.started_at!) < Date.parse(b.finished_at!) && Date.parse(b.started_at!) < Date.parse(a.finished_at!)),
    );
    expect(overlapping).toBe(true);
  }, 900_000);

  it('gives the history to jq with every execution, its parameters and accuracy', async () => {
    const history = await user.plz(digits, ['history']);
    expect(history.status).toBe(0);
    const filtered = await runCommand('jq', ['-c', '[to_entries[] | {id: .key, lr: .value.parameters.learning_rate, accuracy: .value.summary.best_accuracy}] | sort_by(.lr)'], { input: history.stdout });
    expect(filtered.status).toBe(0);
    const rows = JSON.parse(filtered.stdout) as Array<{ id: string; lr: number; accuracy: number }>;
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) expect(row.accuracy).toBeGreaterThan(0.8);
    expect(rows.map((r) => r.id)).toContain(first);
  }, 120_000);

  it('stops a long job with plz stop', async () => {
    const minimal = user.example('minimal');
    writeFileSync(path.join(minimal, 'slow.json'), JSON.stringify({ seconds: 600 }));
    const started = await user.plz(minimal, ['run', '--detach', '--parameters', 'slow.json']);
    expect(started.status).toBe(0);
    const id = executionIdIn(started.stdout);
    let state = '';
    for (let i = 0; i < 300 && state !== 'running'; i++) {
      state = (await user.json<{ state: string }>(minimal, ['status', id])).state;
      if (state !== 'running') await sleep(1000);
    }
    expect(state).toBe('running');
    expect((await user.plz(minimal, ['stop', id])).status).toBe(0);
    for (let i = 0; i < 120 && state !== 'stopped'; i++) {
      state = (await user.json<{ state: string }>(minimal, ['status', id])).state;
      if (state !== 'stopped') await sleep(1000);
    }
    expect(state).toBe('stopped');
  }, 900_000);

  it('mounts the datasets folder read-only at the path CONFIGURATION_FILE announces', async () => {
    const result = await user.plz(datasetsProbe(user, 'digits/labels.csv'), ['run']);
    expect(result.stdout).toContain('datasets at /datasets, digits/labels.csv ends with: 1,7');
    expect(result.stdout).toContain('write: refused read-only');
    expect(result.status).toBe(0);
    expect(readFileSync(path.join(context().datasets(), 'digits', 'labels.csv'), 'utf8')).toBe('id,label\n1,7\n');
  }, 600_000);

  it("keeps an input in the worker's cache (a folder of the input-cache volume) and mounts it read-only: not extracted again", async () => {
    const probe = user.project({
      'plz.config.json': JSON.stringify({ project: 'input-cache-check', image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'], input: 'file://data', excluded_paths: ['data'] }),
      'main.py': [
        'import errno, json, os',
        'config = json.load(open(os.environ["CONFIGURATION_FILE"]))',
        'root = config["input_directory"]',
        'print("input sums to", sum(int(line) for line in open(os.path.join(root, "values.txt"))), flush=True)',
        'try:',
        '    open(os.path.join(root, "values.txt"), "w").write("0")',
        '    print("write: allowed")',
        'except OSError as error:',
        '    print("write: refused", "read-only" if error.errno == errno.EROFS else errno.errorcode[error.errno])',
      ].join('\n'),
      'data/values.txt': '1\n2\n3\n',
    });
    // Three runs on two workers: one worker runs it twice, from its cache the second time.
    const outputs: string[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await user.plz(probe, ['run']);
      if (result.status !== 0) throw new Error(`plz run exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
      expect(result.stdout).toContain('input sums to 6');
      expect(result.stdout).toContain('write: refused read-only');
      expect(result.stdout).toMatch(/input [0-9a-f]{64} (extracted into|from) the worker's cache \(mounted read-only\)/);
      outputs.push(result.stdout);
    }
    expect(outputs.filter((output) => output.includes("from the worker's cache")).length).toBeGreaterThanOrEqual(1);
  }, 600_000);

  it('renders the MLflow UI (the run, its metrics per epoch) and the API docs through NGINX in headless Chromium', async () => {
    mkdirSync(screenshotDir, { recursive: true });
    const execution = await user.json<Described>(digits, ['describe', first]);
    const browser = await launchChromium();
    try {
      const page = await (await loggedInContext(browser, context().url, context().token)).newPage();
      const experiment = `${context().url}/mlflow/#/experiments/${execution.mlflow_experiment_id}`;
      const shots: Array<[string, string, string[]]> = [
        ['mlflow-runs', `${experiment}/runs`, [runName]],
        ['mlflow-run-metrics', `${experiment}/runs/${execution.mlflow_run_id}/model-metrics`, [runName, 'accuracy', 'training_loss', 'Step']],
        ['api-docs', `${context().url}/api/docs/`, ['/api/v1/executions']],
      ];
      for (const [name, url, texts] of shots) {
        await page.goto(url);
        for (const text of texts) await page.getByText(text).first().waitFor({ timeout: 60_000 });
        await page.waitForTimeout(3000); // charts draw after their data arrives
        const file = path.join(screenshotDir, `${name}.png`);
        await page.screenshot({ path: file });
        expect(statSync(file).size).toBeGreaterThan(20_000);
      }
    } finally {
      await browser.close();
    }
  }, 600_000);

  it('keeps history, measures and outputs across docker compose down and up; init again changes nothing', async () => {
    const { project, directory } = context();
    const state = (rel: string) => rel === '.env' || rel.startsWith('secrets/') || rel.startsWith('systemd/') || rel === 'docker-compose.yml';
    const before = digests(directory, state);
    await project.withDiagnostics(async () => {
      await project.compose(['down'], 300_000);
      await project.compose(['up', '-d', '--wait'], 900_000);
      user.dispose();
      user = new PlzUser(await context().refreshUrl(), context().token);
      const history = await user.json<Record<string, unknown>>(digits, ['history']);
      expect(Object.keys(history)).toContain(first);
      const summary = await user.json<{ best_accuracy: number }>(digits, ['measures', '-s', first]);
      expect(summary.best_accuracy).toBeGreaterThan(0.9);
      const output = await user.plz(digits, ['output', first, '-o', 'after-restart']);
      expect(output.status).toBe(0);
      expect(existsSync(path.join(digits, 'after-restart', 'model.pkl'))).toBe(true);
      await context().init();
      expect(digests(directory, state)).toEqual(before);
    });
    user.dispose();
  }, 1_500_000);

  it('turns HTTPS on with the certificate in ssl/nginx (the MLflow UI and the REST API over TLS 1.2+ only, HTTP redirects; the CLI trusts it with ca_file) and off again', async () => {
    const { project, directory } = context();
    const tls = path.join(directory, 'ssl', 'nginx');
    const made = await runCommand('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(tls, 'server.key'), '-out', path.join(tls, 'server.crt')]);
    expect(made.status).toBe(0);
    const init = (flag: string) => runCommand('bash', ['init-deployment.sh', flag], { cwd: directory, env: { ...process.env, PATH: `${process.env['PLZ_TOOLS_DIR'] ?? '/opt/plz-tools'}/shims:${process.env['PATH'] ?? ''}` } });
    const plainAgain = async () => {
      const disabled = await init('--disable-nginx-ssl');
      expect(disabled.status).toBe(0);
      await project.compose(['up', '-d', '--wait'], 600_000);
      expect((await fetch(`${await context().refreshUrl()}/healthz`)).status).toBe(200);
    };
    // Plain HTTP comes back even when a check fails, so that the tests after this one see the deployment they expect.
    await project.withDiagnostics(async () => {
      const enabled = await init('--enable-nginx-ssl');
      expect(enabled.status).toBe(0);
      await project.compose(['up', '-d', '--wait'], 600_000);
      const httpUrl = await context().refreshUrl();
      try {
        const httpsUrl = `https://${(await project.compose(['port', 'nginx', '443'])).stdout.trim()}`;
        const redirect = await fetch(`${httpUrl}/api/v1/me`, { redirect: 'manual' });
        expect(redirect.status).toBe(301);
        expect(redirect.headers.get('location')).toMatch(/^https:\/\//);
        // TLS 1.2 and 1.3 only, on the wire: the client offers exactly one version (SECLEVEL 0 so that
        // this machine's OpenSSL may offer 1.0 and 1.1 at all) and NGINX answers or refuses.
        const address = httpsUrl.slice('https://'.length);
        const handshake = (version: string) => runCommand('openssl', ['s_client', '-connect', address, '-servername', 'localhost', `-${version}`, '-cipher', 'DEFAULT:@SECLEVEL=0']);
        for (const version of ['tls1', 'tls1_1']) {
          const old = await handshake(version);
          expect(old.status).not.toBe(0);
          expect(old.stderr).toContain('alert protocol version');
        }
        for (const [version, name] of [['tls1_2', 'TLSv1.2'], ['tls1_3', 'TLSv1.3']] as const) {
          const current = await handshake(version);
          expect(current.stdout).toContain(`New, ${name}, Cipher is`);
        }
        // the MLflow UI and the REST API over HTTPS, trusting the certificate as a browser told so would
        const curl = (urlPath: string, ...args: string[]) =>
          runCommand('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', '--cacert', path.join(tls, 'server.crt'), ...args, `${httpsUrl}${urlPath}`]);
        const bearer = ['-H', `Authorization: Bearer ${context().token}`];
        expect((await curl('/mlflow/', ...bearer)).stdout).toBe('200 0');
        expect((await curl('/mlflow/api/2.0/mlflow/experiments/search?max_results=1', ...bearer)).stdout).toBe('200 0');
        expect((await curl('/mlflow/')).stdout).toBe('401 0');
        // A browser session over HTTPS: the cookie is Secure.
        const linked = await runCommand('curl', ['-sS', '-X', 'POST', '--cacert', path.join(tls, 'server.crt'), ...bearer, '-H', 'Content-Type: application/json', '-d', '{}', `${httpsUrl}/api/v1/auth/login-links`]);
        const link = (JSON.parse(linked.stdout) as { path: string }).path;
        const loggedIn = await runCommand('curl', ['-sS', '-o', '/dev/null', '-D', '-', '--cacert', path.join(tls, 'server.crt'), `${httpsUrl}${link}`]);
        expect(loggedIn.stdout).toMatch(/^set-cookie: plz_session=[^;]+;.*; HttpOnly; Secure; SameSite=Lax\r?$/im);
        expect((await curl('/api/v1/me', '-H', `Authorization: Bearer ${context().token}`)).stdout).toBe('200 0');
        const secure = new PlzUser(httpsUrl, context().token);
        const refused = await secure.plz(directory, ['ping'], 120_000, { PLZ_PROJECT: 'https-check' });
        expect(refused.status).toBe(122);
        const trusted = await secure.plz(directory, ['ping'], 120_000, { PLZ_CA_FILE: path.join(tls, 'server.crt'), PLZ_PROJECT: 'https-check' });
        expect(trusted.stdout).toContain(`${httpsUrl} is up; you are admin (admin)`);
        expect(trusted.status).toBe(0);
        secure.dispose();
      } finally {
        await plainAgain();
      }
    });
  }, 1_200_000);
}

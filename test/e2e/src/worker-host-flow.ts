import { afterAll, expect, it } from '@jest/globals';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComposeProject, dockerBinary, dockerEnv } from './docker.js';
import { generateDeployment } from './generate.js';
import { executionIdIn, PlzUser, runCommand, type Result } from './plz-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What the worker-host flow needs from the deployment (the controller) that the enclosing describe brought up. */
export interface WorkerHostContext {
  url: string;
  token: string;
  /** The controller's compose project, slug and folder. */
  project: ComposeProject;
  slug: string;
  directory: string;
  /** The address the controller publishes its worker-hosts ports on (docker0's). */
  workerHostsAddress: string;
  /** The controller's ./init-deployment.sh. */
  init(...options: string[]): Promise<unknown>;
  expectAllHealthy(): Promise<void>;
}

interface Described {
  id: string;
  state: string;
  worker_id: string | null;
  mlflow_run_id: string | null;
}

interface WorkerInfo {
  worker_id: string;
  /** The host the worker runs on (WORKER_HOST, else its Docker engine's host name). */
  hostname: string | null;
}

const terminal = ['succeeded', 'failed', 'stopped', 'error'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const workerHost = 'e2e-host';
const hostWorker = `${workerHost}-cpu-0`;

const expectSuccess = (result: Result, what: string): void => {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
};

/** Polls `check` every second until it returns true or `ms` pass (then throws naming `what`). */
async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(1000);
  }
}

/**
 * Issue 19, items 3 and 4: a worker host on this machine, joining the controller (the deployment of
 * the enclosing describe, upgraded with `--worker-hosts` on docker0's address) only through its
 * published TLS ports. The controller writes a join bundle; `yo plz-deploy --role worker --join
 * BUNDLE --cpu-workers 1 --controller-address <docker0> --datasets-directory <its own folder>`
 * writes a second compose project (its own slug, image tag and network), its init checks the
 * controller over TLS, `up --wait` starts its worker. Its containers are on none of the
 * controller's networks. With the controller's own CPU workers stopped, `plz run` runs a job there
 * that reads the worker host's datasets folder, streams its log, writes an output and measures,
 * all of which reach the controller (describe, output, measures, MLflow); `plz workers` lists both
 * hosts. Revoking the host stops its worker at once: its heartbeat goes, it turns unhealthy, and an
 * execution queued then waits for the controller's workers. The worker host is torn down whole.
 */
export function workerHostFlow(context: () => WorkerHostContext): void {
  // Its own compose project and image tag, named after the controller's slug (set by the first test).
  let hostSlug = '';
  let hostDirectory = '';
  let hostProject: ComposeProject | undefined;
  let user: PlzUser | undefined;
  let hostDatasets = '';
  let initLog = '';
  const controllerWorkers = ['worker-cpu-0', 'worker-cpu-1'];
  const described = async (id: string): Promise<Described> => {
    const { url, token } = context();
    const response = await fetch(`${url}/api/v1/executions/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`GET /api/v1/executions/${id}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Described;
  };
  const liveWorkers = async (): Promise<WorkerInfo[]> => {
    const { url, token } = context();
    const response = await fetch(`${url}/api/v1/workers`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`GET /api/v1/workers: ${response.status}`);
    return ((await response.json()) as { workers: WorkerInfo[] }).workers;
  };
  const hostInit = (): Promise<Result> => runCommand('bash', ['init-deployment.sh'], { cwd: hostDirectory, env: dockerEnv(), timeoutMs: 1_500_000 });
  /** The job: reads host/reads.txt of the datasets folder where it runs (the worker host's has it), prints it, writes an output, two measures and a summary. */
  const job = (project: string): Record<string, string> => ({
    'plz.config.json': JSON.stringify({ project, image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'] }),
    'main.py': [
      'import json, os, socket',
      'config = json.load(open(os.environ["CONFIGURATION_FILE"]))',
      'source = os.path.join(config.get("datasets_directory") or "/nonexistent", "host", "reads.txt")',
      'line = open(source).read().strip() if os.path.exists(source) else "nothing in these datasets"',
      'print(f"worker host job: read {line}", flush=True)',
      'with open(os.path.join(config["output_directory"], "seen.txt"), "w") as out:',
      '    out.write(line)',
      'for step in (1, 2):',
      '    with open(os.path.join(config["measures_directory"], f"accuracy_{step}"), "w") as measure:',
      '        json.dump(step / 4, measure)',
      'with open(config["summary_measures_path"], "w") as summary:',
      '    json.dump({"read": line}, summary)',
    ].join('\n'),
  });

  // The worker host's folder is its own (not under the controller's, which may go first in afterAll).
  afterAll(async () => {
    user?.dispose();
    if (hostProject) await tearDown(hostProject, hostSlug);
    if (hostDirectory) rmSync(path.dirname(hostDirectory), { recursive: true, force: true });
  }, 300_000);

  it('joins a worker host: a bundle from the controller, yo plz-deploy --role worker --join, its init checks the controller over TLS, up --wait', async () => {
    const { project, directory, workerHostsAddress, init, slug } = context();
    hostSlug = slug.replace(/^plz-e2e-stack-/, 'plz-e2e-wh-');
    await project.withDiagnostics(async () => {
      await init('--worker-host-bundle', workerHost);
      const folder = mkdtempSync(path.join(tmpdir(), 'plz-e2e-worker-host-'));
      chmodSync(folder, 0o755);
      hostDirectory = path.join(folder, 'deployment');
      hostDatasets = path.join(folder, 'datasets');
      mkdirSync(path.join(hostDatasets, 'host'), { recursive: true });
      writeFileSync(path.join(hostDatasets, 'host', 'reads.txt'), 'only on e2e-host\n');
      // yo runs as uid 1000 when run as root: it reads a copy of the bundle (mode 0600, root's) made
      // readable for this step only, deleted right after, as an operator deletes theirs.
      const bundle = path.join(folder, `${workerHost}.bundle`);
      copyFileSync(path.join(directory, 'worker-hosts', `${workerHost}.bundle`), bundle);
      chmodSync(bundle, 0o644);
      try {
        await generateDeployment(hostDirectory, [
          '--role', 'worker', '--join', bundle, '--name', hostSlug, '--image-tag', hostSlug, '--cpu-workers', '1',
          '--controller-address', workerHostsAddress, '--datasets-directory', hostDatasets,
        ]);
      } finally {
        rmSync(bundle, { force: true });
      }
      hostProject = new ComposeProject(path.join(hostDirectory, 'docker-compose.yml'), hostSlug, {});
      expect((readFileSync(path.join(hostDirectory, 'secrets', 'controller.env')).length)).toBeGreaterThan(0);
      // The machine's extra CAs, as the controller has them (npm in the image build: the same layers, cached).
      const authorities = path.join(root, 'ssl', 'ca-certificates');
      for (const name of readdirSync(authorities).filter((entry) => entry.endsWith('.crt'))) {
        copyFileSync(path.join(authorities, name), path.join(hostDirectory, 'ssl', 'ca-certificates', name));
      }
      const started = Date.now();
      const initialised = await hostInit();
      initLog = initialised.stderr;
      expectSuccess(initialised, "the worker host's ./init-deployment.sh");
      expect(initLog).toMatch(/Redis rediss:\/\/\S+: PONG over TLS/);
      expect(initLog).toMatch(/PostgreSQL postgres:\/\/\S+: role plz-host-e2e-host, TLSv1\.[23]/);
      expect(initLog).toMatch(/S3 https:\/\/\S+: HTTPS verified/);
      expect(initLog).toMatch(/MLflow https:\/\/\S+: HTTPS verified, user plz-host-e2e-host/);
      for (const secret of readFileSync(path.join(hostDirectory, 'secrets', 'controller.env'), 'utf8').match(/[A-Za-z0-9]{43}/g) ?? []) expect(initLog).not.toContain(secret);
      await hostProject.withDiagnostics(() => hostProject!.compose(['up', '-d', '--wait'], 1_500_000));
      process.stderr.write(`worker-host flow: the worker host's init and up took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      const { stdout } = await hostProject.compose(['ps', '--format', '{{.Service}} {{.State}} {{.Health}}']);
      expect(stdout.trim()).toBe('worker-cpu-0 running healthy');
    });
  }, 1_800_000);

  it("keeps the worker host off the controller's networks: only its own network, reaching the published TLS ports", async () => {
    const { slug } = context();
    const id = (await hostProject!.compose(['ps', '--quiet', 'worker-cpu-0'])).stdout.trim();
    const inspected = await runCommand(dockerBinary, ['inspect', '--format', '{{json .NetworkSettings.Networks}}', id], { env: dockerEnv() });
    expect(Object.keys(JSON.parse(inspected.stdout) as object)).toEqual([`${hostSlug}-workers`]);
    for (const network of ['internal', 'edge', 'worker-hosts']) {
      const members = await runCommand(dockerBinary, ['network', 'inspect', '--format', '{{range .Containers}}{{.Name}} {{end}}', `${slug}-${network}`], { env: dockerEnv() });
      expect([network, members.stdout]).toEqual([network, expect.not.stringContaining(hostSlug)]);
    }
    const environment = (await hostProject!.compose(['exec', '-T', 'worker-cpu-0', 'printenv', 'REDIS_URL', 'DATABASE_URL', 'S3_ENDPOINT', 'MLFLOW_URL', 'CONTROLLER_CA_FILE', 'WORKER_ID', 'WORKER_HOST'])).stdout.trim().split('\n');
    expect(environment[0]).toMatch(/^rediss:\/\//);
    expect(environment[1]).toMatch(/sslmode=verify-full$/);
    expect(environment.slice(2, 4).every((value) => value.startsWith('https://'))).toBe(true);
    expect(environment.slice(4)).toEqual(['/etc/plz/controller/ca.crt', hostWorker, workerHost]);
  }, 120_000);

  it("runs a job on the worker host (the controller's CPU workers stopped): its datasets, logs streamed, output, measures, MLflow run", async () => {
    const { url, token, project } = context();
    user = new PlzUser(url, token);
    const folder = user.project(job('worker-host'));
    await project.withDiagnostics(async () => {
      await project.compose(['stop', ...controllerWorkers], 300_000);
      try {
        await until('the controller workers to leave plz workers', async () => (await liveWorkers()).every((w) => !controllerWorkers.some((service) => w.worker_id.endsWith(service))), 60_000);
        const result = await user!.plz(folder, ['run']);
        expectSuccess(result, 'plz run on the worker host');
        const id = executionIdIn(result.stdout);
        // Streamed: the job's line came through `plz run`'s live log.
        expect(result.stdout).toContain('worker host job: read only on e2e-host');
        const execution = await described(id);
        expect([execution.state, execution.worker_id]).toEqual(['succeeded', hostWorker]);
        expect(readFileSync(path.join(folder, 'output', id, 'seen.txt'), 'utf8')).toBe('only on e2e-host');
        expect(await user!.json(folder, ['measures', '-s', id])).toEqual({ read: 'only on e2e-host' });
        const logs = await user!.plz(folder, ['logs', '--no-follow', id]);
        expect(logs.stdout).toContain('worker host job: read only on e2e-host');
        const run = await fetch(`${url}/mlflow/api/2.0/mlflow/runs/get?run_id=${execution.mlflow_run_id ?? ''}`, { headers: { authorization: `Bearer ${token}` } });
        expect(run.status).toBe(200);
        const metrics = ((await run.json()) as { run: { data: { metrics?: Array<{ key: string; value: number; step: number }> } } }).run.data.metrics ?? [];
        expect(metrics.filter((metric) => metric.key === 'accuracy').map((metric) => [metric.step, metric.value]).sort()).toEqual([[2, 0.5]]);
      } finally {
        await project.compose(['start', ...controllerWorkers], 300_000);
      }
      await project.compose(['up', '-d', '--wait', ...controllerWorkers], 600_000);
    });
  }, 1_200_000);

  it('lists the workers of both hosts in plz workers', async () => {
    const { slug } = context();
    await until('the workers of both hosts', async () => {
      const ids = (await liveWorkers()).map((w) => w.worker_id);
      return [`${slug}-worker-cpu-0`, `${slug}-worker-cpu-1`, hostWorker].every((id) => ids.includes(id));
    }, 60_000);
    const workers = await liveWorkers();
    const own = workers.find((w) => w.worker_id === hostWorker)!;
    // The worker host's worker is named by its WORKER_HOST; the controller's by the Docker engine's host name.
    const engineName = (await runCommand(dockerBinary, ['info', '--format', '{{.Name}}'], { env: dockerEnv() })).stdout.trim();
    expect(own.hostname).toBe(workerHost);
    expect(workers.find((w) => w.worker_id === `${slug}-worker-cpu-0`)?.hostname).toBe(engineName);
    const table = await user!.plz(user!.project({}), ['workers']);
    expectSuccess(table, 'plz workers');
    expect(table.stdout).toContain(`${hostWorker}  on ${workerHost}  cpu`);
    expect(table.stdout).toContain(`${slug}-worker-cpu-0  on ${engineName}  cpu`);
  }, 120_000);

  it('stops the worker host at once when the controller revokes it: heartbeat gone, unhealthy, an execution queued then is not taken by it', async () => {
    const { project, init, url, token } = context();
    await project.withDiagnostics(async () => {
      const revokedAt = Date.now();
      await init('--revoke-worker-host', workerHost);
      // at once: the revocation removes its heartbeat (not its 30 s TTL)
      await until(`${hostWorker} to leave plz workers`, async () => !(await liveWorkers()).some((w) => w.worker_id === hostWorker), 5_000);
      const gone = (Date.now() - revokedAt) / 1000;
      await until(`${hostWorker}'s container to turn unhealthy`, async () => (await hostProject!.compose(['ps', '--format', '{{.Health}}', 'worker-cpu-0'])).stdout.trim() === 'unhealthy', 120_000);
      process.stderr.write(`worker-host flow: revoked; heartbeat gone after ${gone.toFixed(1)} s, unhealthy after ${((Date.now() - revokedAt) / 1000).toFixed(1)} s\n`);
      const logs = (await hostProject!.compose(['logs', '--no-color', '--since', '2m', 'worker-cpu-0'])).stdout;
      expect(logs).toMatch(/WRONGPASS|NOAUTH|password authentication failed|heartbeat failed/);

      await project.compose(['stop', ...controllerWorkers], 300_000);
      const probe = new PlzUser(url, token);
      try {
        const folder = probe.project(job('worker-host-revoked'));
        const submitted = await probe.plz(folder, ['run', '--detach', '--queue-without-worker']);
        expectSuccess(submitted, 'plz run --detach --queue-without-worker');
        const id = executionIdIn(submitted.stdout);
        await sleep(20_000);
        expect((await described(id)).state).toBe('queued');
        await project.compose(['start', ...controllerWorkers], 300_000);
        let execution = await described(id);
        for (let attempt = 0; attempt < 600 && !terminal.includes(execution.state); attempt += 1) {
          await sleep(1000);
          execution = await described(id);
        }
        // The controller's worker ran it, on the controller's datasets (which lack the worker host's file).
        expect([execution.state, execution.worker_id]).toEqual(['succeeded', expect.stringMatching(/-worker-cpu-[01]$/)]);
        expect((await probe.plz(folder, ['logs', '--no-follow', id])).stdout).toContain('worker host job: read nothing in these datasets');
      } finally {
        probe.dispose();
        await project.compose(['up', '-d', '--wait', ...controllerWorkers], 600_000);
      }
      await context().expectAllHealthy();
      // The worker host goes now: the flows after this one count the controller's workers only.
      await tearDown(hostProject!, hostSlug);
      hostProject = undefined;
    });
  }, 1_200_000);
}

/**
 * Removes a worker host's compose project whole: containers, network and volumes (`down -v`), its
 * jobs network (the workers', not compose's) with the host rule that closed it, and its worker
 * image by tag (the layers stay in the build cache). Never throws.
 */
async function tearDown(project: ComposeProject, slug: string): Promise<void> {
  const env = dockerEnv();
  const jobsNetworks = await runCommand(dockerBinary, ['network', 'ls', '--no-trunc', '--filter', `name=^${slug}-jobs$`, '--format', '{{.ID}}'], { env });
  await project.compose(['--profile', 'init', 'down', '-v', '--remove-orphans']).catch(() => undefined);
  for (const id of jobsNetworks.stdout.split('\n').filter(Boolean)) {
    const bridge = `br-${id.slice(0, 12)}`;
    await runCommand(dockerBinary, ['run', '--rm', '--network', 'host', '--cap-add', 'NET_ADMIN', '--user', '0:0', '--entrypoint', 'sh', `plz-worker:${slug}`, '-c',
      `for ipt in iptables-nft iptables-legacy; do while $ipt -w -D INPUT -i ${bridge} -j DROP 2>/dev/null; do :; done; done`], { env });
    await runCommand(dockerBinary, ['network', 'rm', id], { env });
  }
  await runCommand(dockerBinary, ['image', 'rm', `plz-worker:${slug}`], { env });
}

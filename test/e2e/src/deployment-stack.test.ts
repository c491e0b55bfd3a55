import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { faultSuite } from '@plz/faults';
import { backupFlow } from './backup-flow.js';
import { cliInstallFlow } from './cli-install-flow.js';
import { containmentFlow } from './containment-flow.js';
import { fairShareFlow } from './fair-share-flow.js';
import { ComposeProject, dockerBinary, dockerEnv } from './docker.js';
import { generateWith } from './generate.js';
import { PlzUser, runCommand, type Result } from './plz-cli.js';
import { datasetsProbe, plzFlow } from './plz-flow.js';
import { buildPreviousCli, checkOutPreviousRelease, previousRelease, removePreviousRelease, upgradeFlow, type PreviousRelease } from './upgrade-flow.js';
import { webFlow } from './web-flow.js';
import { workerHostFlow } from './worker-host-flow.js';

/**
 * The whole thing for real, starting as the previous release upgraded in place (issue 18): the
 * previous release's `yo plz-deploy` with two CPU workers, `./init-deployment.sh
 * --enable-postgres-ssl` (certificate made here with openssl), `docker compose up -d --wait`
 * (building the plz images from the copied sources), executions made with that release's CLI, then the
 * current generator, init and `up` in the same folder (upgrade-flow.ts), which also turns worker hosts on (issue 19: `--worker-hosts`
 * on docker0's address); on the upgraded deployment every service healthy and reachable through
 * NGINX and on PostgreSQL over TLS, the plz flow, a worker host joining through the published TLS ports only (worker-host-flow.ts), the containment of jobs (issue 14: network,
 * limits, fork bomb, image cache), fair sharing of the queues (issue 20), the web view in Chromium (issue 16), the CLI installed from the deployment, a backup restored after
 * `down -v` into a new folder that the tests after it then use (issue 18), init again on the running deployment, then the
 * operator's paths of issue 8: the systemd unit verified and its commands run as written, a
 * datasets folder that disappeared, a datasets volume of the NFS kind from the override template;
 * `down -v` at the end.
 * It needs the REST API and worker images: without services/Dockerfile it is skipped, saying so.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * docker0's IPv4 address (the default bridge's gateway): the controller publishes its worker-hosts
 * ports there, reachable from the worker host's containers on this machine and from nowhere else.
 */
async function dockerBridgeAddress(): Promise<string> {
  const { stdout, status, stderr } = await runCommand(dockerBinary, ['network', 'inspect', 'bridge', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}'], { env: dockerEnv() });
  const address = stdout.trim().split(/\s+/).find((value) => /^\d+\.\d+\.\d+\.\d+$/.test(value));
  if (status !== 0 || !address) throw new Error(`no IPv4 gateway of Docker's bridge network: ${stdout} ${stderr}`);
  return address;
}

/** A TCP port free on `address` right now. */
const freePort = (address: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const bound = server.address();
      server.close(() => (typeof bound === 'object' && bound ? resolve(bound.port) : reject(new Error('no port'))));
    });
  });

const missing = ['services/Dockerfile'].filter((file) => !existsSync(path.join(root, file)));
const reason = `skipped: ${missing.join(' and ')} missing, so the plz images cannot be built`;
if (missing.length > 0) process.stderr.write(`deployment-stack.test.ts: ${reason}\n`);


(missing.length > 0 ? describe.skip : describe)(`a generated deployment on the stand-in images${missing.length > 0 ? ` (${reason})` : ''}`, () => {
  const slug = `plz-e2e-stack-${randomBytes(3).toString('hex')}`;
  // The plz images of this run only (`--image-tag`): another deployment built on this host from other
  // sources (a second run, a developer's) cannot swap them under this one. Removed at the end.
  const imageTag = slug;
  let base = '';
  let directory = '';
  let project: ComposeProject;
  const init = (...options: string[]) => run('bash', ['init-deployment.sh', ...options], { cwd: directory, env: dockerEnv(), timeout: 600_000 });
  let url = '';
  let datasets = '';
  let generateFlags: string[] = [];
  let previous: PreviousRelease | undefined;
  let previousImages: string[] = [];
  /** docker0's address, where the upgraded controller publishes its worker-hosts ports (issue 19). */
  let workerHostsAddress = '';

  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'plz-e2e-stack-'));
    directory = path.join(base, 'deployment');
    project = new ComposeProject(path.join(directory, 'docker-compose.yml'), slug, {});
    // A datasets folder, as the operator's answer: jobs must see it read-only at /datasets.
    datasets = path.join(base, 'datasets');
    mkdirSync(path.join(datasets, 'digits'), { recursive: true });
    writeFileSync(path.join(datasets, 'digits', 'labels.csv'), 'id,label\n1,7\n');
    chmodSync(base, 0o755);
    generateFlags = ['--name', slug, '--image-tag', imageTag, '--cpu-workers', '2', '--http-port', '0', '--https-port', '0', '--datasets-directory', datasets];
    // The deployment starts life as the previous release (its generator, its sources, its images),
    // and is upgraded in place by the first tests (upgradeFlow): every test after them runs on the
    // upgraded deployment. The previous release's generator knows these flags too.
    const started = Date.now();
    previous = await checkOutPreviousRelease(path.join(base, 'previous-release'));
    const generated = Date.now();
    await generateWith(previous.checkout, directory, generateFlags);
    // Issue 19: the current generator (the upgrade, then the restore of the backup) turns worker hosts
    // on, on docker0's address only, with a server name that the worker host maps to it (a loopback
    // name cannot be); the previous release knows none of these flags.
    workerHostsAddress = await dockerBridgeAddress();
    const ports: string[] = [];
    for (const flag of ['redis', 'postgres', 'minio', 'mlflow']) ports.push(`--worker-hosts-${flag}-port`, String(await freePort(workerHostsAddress)));
    generateFlags = [...generateFlags, '--server-name', 'plz-e2e-controller.test', '--worker-hosts', '--worker-hosts-address', workerHostsAddress, ...ports];
    // As an operator behind a TLS-re-signing proxy would: the machine's extra CAs, for npm in the image builds.
    const authorities = path.join(root, 'ssl', 'ca-certificates');
    for (const name of readdirSync(authorities).filter((entry) => entry.endsWith('.crt'))) {
      copyFileSync(path.join(authorities, name), path.join(directory, 'ssl', 'ca-certificates', name));
    }
    // PostgreSQL with TLS from the start, so that the whole flow below runs on it.
    const made = await runCommand('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=db',
      '-addext', 'subjectAltName=DNS:db', '-keyout', path.join(directory, 'ssl', 'db', 'server.key'), '-out', path.join(directory, 'ssl', 'db', 'server.crt')]);
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    // Its CLI builds while its images do.
    await Promise.all([
      buildPreviousCli(previous),
      (async () => {
        await init('--enable-postgres-ssl');
        await project.withDiagnostics(async () => {
          await project.compose(['up', '-d', '--wait', '--build'], 1_500_000);
          url = `http://${(await project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
        });
      })(),
    ]);
    process.stderr.write(
      `deployment-stack: previous release ${previousRelease} checked out and its generator built in ${((generated - started) / 1000).toFixed(1)} s ` +
        `(${Object.entries(previous.timings).map(([what, s]) => `${what} ${s} s`).join(', ')}), generated, initialised and up in ${((Date.now() - generated) / 1000).toFixed(1)} s\n`,
    );
  }, 2_700_000);

  afterAll(async () => {
    // The workers' jobs network is not compose's: it goes after compose's down, with the host rule closing it.
    const jobsNetworks = await runCommand(dockerBinary, ['network', 'ls', '--no-trunc', '--filter', `name=^${slug}-jobs$`, '--format', '{{.ID}}'], { env: dockerEnv() });
    await project?.compose(['--profile', 'init', 'down', '-v', '--remove-orphans']).catch(() => undefined);
    for (const id of jobsNetworks.stdout.split('\n').filter(Boolean)) {
      const bridge = `br-${id.slice(0, 12)}`;
      await runCommand(dockerBinary, ['run', '--rm', '--network', 'host', '--cap-add', 'NET_ADMIN', '--user', '0:0', '--entrypoint', 'sh', `plz-worker:${imageTag}`, '-c',
        `for ipt in iptables-nft iptables-legacy; do while $ipt -w -D INPUT -i ${bridge} -j DROP 2>/dev/null; do :; done; done`], { env: dockerEnv() });
      await runCommand(dockerBinary, ['network', 'rm', id], { env: dockerEnv() });
    }
    if (nfsVolume) await runCommand(dockerBinary, ['volume', 'rm', '--force', nfsVolume], { env: dockerEnv() });
    // Only the tags: the layers stay in the build cache for the next run.
    await runCommand(dockerBinary, ['image', 'rm', ...['restapi', 'worker', 'mlflow'].map((name) => `plz-${name}:${imageTag}`)], { env: dockerEnv() });
    // The previous release's images, whose tags the upgrade moved: by ID, only those left without a tag.
    for (const id of previousImages) {
      const tags = await runCommand(dockerBinary, ['image', 'inspect', '--format', '{{len .RepoTags}}', id], { env: dockerEnv() });
      if (tags.status === 0 && tags.stdout.trim() === '0') await runCommand(dockerBinary, ['image', 'rm', id], { env: dockerEnv() });
    }
    if (previous) await removePreviousRelease(previous.checkout);
    if (base) rmSync(base, { recursive: true, force: true });
  }, 300_000);

  const expectAllHealthy = async (): Promise<void> => {
    const { stdout } = await project.compose(['ps', '--all', '--format', '{{.Service}} {{.State}} {{.Health}}']);
    expect(stdout.trim().split('\n').sort()).toEqual(
      ['db', 'minio', 'mlflow', 'nginx', 'redis', 'restapi', 'worker-cpu-0', 'worker-cpu-1'].map((service) => `${service} running healthy`),
    );
  };

  const refreshUrl = async () => {
    url = `http://${(await project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
  };

  // Issue 18: the deployment of the previous release, used, then upgraded in place.
  upgradeFlow(() => ({
    url,
    token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(),
    project,
    directory,
    previous: previous!,
    generateFlags,
    imageTag,
    init,
    async refreshUrl() {
      await refreshUrl();
      return url;
    },
    expectAllHealthy,
    keepImages(ids: string[]) {
      previousImages = ids;
    },
  }));

  it('brings every service up healthy', async () => {
    await project.withDiagnostics(expectAllHealthy);
  });

  it('answers through NGINX: the MLflow UI and the REST API behind the token, with both workers live', async () => {
    await project.withDiagnostics(async () => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const token = readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim();
      const headers = { authorization: `Bearer ${token}` };
      const mlflow = await fetch(`${url}/mlflow/`, { headers });
      expect([mlflow.status, mlflow.headers.get('content-type')]).toEqual([200, expect.stringMatching(/text\/html/)]);
      expect((await fetch(`${url}/api/v1/me`)).status).toBe(401);
      expect((await fetch(`${url}/api/v1/me`, { headers })).status).toBe(200);
      const workers = await fetch(`${url}/api/v1/workers`, { headers });
      expect(workers.status).toBe(200);
      const live = await workers.text();
      expect(live).toContain(`${slug}-worker-cpu-0`);
      expect(live).toContain(`${slug}-worker-cpu-1`);
    });
  });

  /** `<user> <TLS version or "plain">` of every database connection of restapi, worker and mlflow, after a request that makes restapi and mlflow hold one. */
  const databaseConnections = async (): Promise<string[]> => {
    const token = readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim();
    expect((await fetch(`${url}/api/v1/executions`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${url}/mlflow/api/2.0/mlflow/experiments/search?max_results=1`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const { stdout } = await project.compose(['exec', '-T', 'db', 'psql', '-X', '-At', '-U', 'postgres', '-d', 'postgres', '-c',
      "SELECT a.usename || ' ' || CASE WHEN s.ssl THEN s.version ELSE 'plain' END FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename IN ('restapi', 'worker', 'mlflow')"]);
    return stdout.trim().split('\n');
  };
  /** psql as restapi from a container on the services' network, with the right password and `sslmode`: `SELECT ssl` of its own connection. */
  const psqlFromNetwork = (sslmode: string): Promise<Result> => {
    const password = /^RESTAPI_DB_PASSWORD=(.*)$/m.exec(readFileSync(path.join(directory, '.env'), 'utf8'))?.[1] ?? '';
    expect(password).not.toBe('');
    return runCommand(dockerBinary, ['run', '--rm', '--network', `${slug}-internal`, '-e', 'PGPASSWORD', '--entrypoint', 'psql', 'postgres:15-bookworm',
      '-X', '-At', `host=db user=restapi dbname=restapi sslmode=${sslmode}`, '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], { env: dockerEnv({ PGPASSWORD: password }) });
  };
  const expectTlsOnly = async (): Promise<void> => {
    const connections = await databaseConnections();
    expect(connections).toEqual(expect.arrayContaining([expect.stringMatching(/^restapi TLSv1\.[23]$/), expect.stringMatching(/^mlflow TLSv1\.[23]$/)]));
    expect(connections.filter((line) => line.endsWith(' plain'))).toEqual([]);
    const plain = await psqlFromNetwork('disable');
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(/pg_hba\.conf rejects connection for host .* user "restapi", database "restapi", no encryption/);
    const encrypted = await psqlFromNetwork('require');
    expect([encrypted.status, encrypted.stdout.trim()]).toEqual([0, 't']);
  };

  it('connects the REST API and MLflow to PostgreSQL over TLS (pg_stat_ssl) and refuses plain connections from the network', async () => {
    await project.withDiagnostics(expectTlsOnly);
  }, 300_000);

  // Issue 7: plz on this deployment, from a real training job to a restart.
  plzFlow(() => ({
    url,
    token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(),
    project,
    directory,
    init,
    datasets: () => datasets,
    async refreshUrl() {
      url = `http://${(await project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
      return url;
    },
  }));

  // Issue 19: a worker host on this machine joins the controller through its published TLS ports only.
  workerHostFlow(() => ({
    url,
    token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(),
    project,
    slug,
    directory,
    workerHostsAddress,
    init,
    expectAllHealthy,
  }));

  // Issue 14: jobs are contained: kept away from the host, the services and each other, under limits.
  containmentFlow(() => ({ url, token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(), project, slug, directory, expectAllHealthy }));

  // Issue 20: the queues are shared fairly, by priority, and say who is ahead.
  fairShareFlow(() => ({ url, token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(), project, directory, expectAllHealthy }));

  // Issue 16: the web view, in a browser.
  webFlow(() => ({ url, token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim() }));

  // Issue 13: the researcher's plz, installed from the deployment.
  cliInstallFlow(() => ({ url, token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(), project, slug }));

  // Issue 18: backup, down -v, restore into a new folder, every result identical. Here, once the
  // flows above made results of every kind, and before the tests of the operator's paths and the
  // fault suite, which then run on the restored deployment (its folder becomes `directory`).
  backupFlow(() => ({
    url,
    token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim(),
    project,
    directory,
    base,
    generateFlags,
    async adopt(restored: string) {
      directory = restored;
      project = new ComposeProject(path.join(directory, 'docker-compose.yml'), slug, {});
      await refreshUrl();
      await expectAllHealthy();
      return url;
    },
  }));

  it('takes ./init-deployment.sh again while running, and stays healthy', async () => {
    await project.withDiagnostics(async () => {
      await init();
      await project.compose(['up', '-d', '--wait'], 600_000);
      await expectAllHealthy();
    });
  }, 900_000);

  it("keeps PostgreSQL's TLS on with worker hosts: --disable-postgres-ssl is refused, nothing changes, plain connections still refused", async () => {
    await project.withDiagnostics(async () => {
      const env = readFileSync(path.join(directory, '.env'), 'utf8');
      const refused = await runCommand('bash', ['init-deployment.sh', '--disable-postgres-ssl'], { cwd: directory, env: dockerEnv(), timeoutMs: 600_000 });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('refusing --disable-postgres-ssl: worker hosts reach PostgreSQL over TLS only');
      expect(readFileSync(path.join(directory, '.env'), 'utf8')).toBe(env);
      await project.compose(['up', '-d', '--wait'], 600_000);
      await expectAllHealthy();
      await refreshUrl();
      await expectTlsOnly();
    });
  }, 900_000);

  // Issue 8: the operator's paths on the running deployment.
  const unitFile = () => path.join(directory, 'systemd', `${slug}.service`);
  const unitSetting = (key: string): string => {
    const match = new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(unitFile(), 'utf8'));
    if (!match) throw new Error(`no ${key}= in ${unitFile()}`);
    return match[1]!;
  };
  /**
   * Runs one of the unit's commands as systemd runs it: the line's words as the command and its
   * arguments (no shell), in its WorkingDirectory, with systemd's default PATH and nothing else.
   */
  const systemdRuns = (key: 'ExecStart' | 'ExecStop' | 'ExecStopPost'): Promise<Result> => {
    const [command, ...args] = unitSetting(key).split(/\s+/);
    return runCommand(command!, args, { cwd: unitSetting('WorkingDirectory'), env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, timeoutMs: 900_000 });
  };
  /** `systemctl start`: ExecStart; when it fails, systemd runs ExecStopPost. Resolves with ExecStart's result. */
  const systemdStart = async (): Promise<Result> => {
    const started = await systemdRuns('ExecStart');
    if (started.status !== 0) expectSuccess(await systemdRuns('ExecStopPost'), 'ExecStopPost after a failed start');
    return started;
  };
  /** `systemctl stop`: ExecStop, then ExecStopPost. */
  const systemdStop = async (): Promise<void> => {
    expectSuccess(await systemdRuns('ExecStop'), 'ExecStop');
    expectSuccess(await systemdRuns('ExecStopPost'), 'ExecStopPost');
  };
  const expectSuccess = (result: Result, what: string): void => {
    if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  };
  /** Ids of every execution, read through NGINX (a 502 right after a start is retried for 30 s, saying so). */
  const executionIds = async (): Promise<string[]> => {
    const token = readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim();
    for (let attempt = 1; ; attempt += 1) {
      const response = await fetch(`${url}/api/v1/executions?limit=100`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status === 200) return ((await response.json()) as { executions: Array<{ id: string }> }).executions.map((execution) => execution.id).sort();
      const answer = `${url}: ${response.status} from ${response.headers.get('server') ?? 'no server header'}: ${(await response.text()).slice(0, 300)}`;
      if (response.status !== 502 || attempt >= 30) throw new Error(`listing executions failed: ${answer}`);
      process.stderr.write(`deployment-stack: retrying after ${answer}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  let nfsVolume = '';

  it('renders a systemd unit for this folder and its datasets that systemd-analyze verify accepts', async () => {
    const verified = await runCommand('systemd-analyze', ['verify', unitFile()]);
    expect([verified.status, verified.stdout.trim(), verified.stderr.trim()]).toEqual([0, '', '']);
    expect(unitSetting('WorkingDirectory')).toBe(directory);
    expect(unitSetting('RequiresMountsFor')).toBe(`${directory} ${datasets}`);
    expect(unitSetting('ExecStart')).toMatch(/^\/\S+ compose up -d --wait --remove-orphans$/);
    expect(unitSetting('ExecStop')).toMatch(/^\/\S+ compose down --remove-orphans$/);
    expect(unitSetting('ExecStopPost')).toBe(unitSetting('ExecStop'));
  }, 120_000);

  it("stops with the unit's ExecStop (and ExecStopPost) and starts with its ExecStart, run as written: down cleanly, up healthy, nothing lost", async () => {
    await project.withDiagnostics(async () => {
      const before = await executionIds();
      expect(before.length).toBeGreaterThan(5);
      await systemdStop();
      expect((await project.compose(['ps', '--all', '--quiet'])).stdout.trim()).toBe('');
      const volumes = await runCommand(dockerBinary, ['volume', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${slug}`], { env: dockerEnv() });
      expect(volumes.stdout.split('\n')).toEqual(expect.arrayContaining([`${slug}-db-data`, `${slug}-minio-data`]));
      expectSuccess(await systemdStart(), 'ExecStart');
      await expectAllHealthy();
      await refreshUrl();
      expect(await executionIds()).toEqual(before);
    });
  }, 1_200_000);

  it('refuses to start without its datasets folder, with a clear error from init and from ExecStart, creating nothing in its place', async () => {
    await project.withDiagnostics(async () => {
      const before = await executionIds();
      await systemdStop();
      const away = `${datasets}.away`;
      renameSync(datasets, away);
      try {
        const env = readFileSync(path.join(directory, '.env'), 'utf8');
        const refused = await runCommand('bash', ['init-deployment.sh'], { cwd: directory, env: dockerEnv() });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toContain(`the datasets folder ${datasets} (PLZ_DATASETS_DIRECTORY in envs/deployment.env) does not exist`);
        expect(readFileSync(path.join(directory, '.env'), 'utf8')).toBe(env);
        const failed = await systemdStart();
        expect(failed.status).not.toBe(0);
        expect(`${failed.stdout}${failed.stderr}`).toContain(`bind source path does not exist: ${datasets}`);
        expect(existsSync(datasets)).toBe(false);
        // systemd ran ExecStopPost after the failed start: nothing half-created is left behind
        expect((await project.compose(['ps', '--all', '--quiet'])).stdout.trim()).toBe('');
      } finally {
        renameSync(away, datasets);
      }
      expectSuccess(await systemdStart(), 'ExecStart');
      await expectAllHealthy();
      await refreshUrl();
      expect(await executionIds()).toEqual(before);
      expect(readFileSync(path.join(datasets, 'digits', 'labels.csv'), 'utf8')).toBe('id,label\n1,7\n');
    });
  }, 1_200_000);

  it('mounts a named volume of the NFS kind from the override template (a local driver_opts bind) read-only at /datasets', async () => {
    // The template's NFS example, uncommented, for both workers, with the NFS mount options swapped
    // for a local bind of a folder made here (same driver, same shape).
    const share = path.join(base, 'nfs-share');
    mkdirSync(path.join(share, 'digits'), { recursive: true });
    writeFileSync(path.join(share, 'digits', 'labels.csv'), 'id,label\n2,3\n');
    const template = readFileSync(path.join(directory, 'docker-compose.override.yml.template'), 'utf8');
    const section = /^## --- Example: datasets on an NFS share -+\n([\s\S]*?)\n\n/m.exec(template)?.[1];
    if (!section) throw new Error('no NFS example in docker-compose.override.yml.template');
    const example = parse(section.split('\n').filter((line) => line.startsWith('# ') || line === '#').map((line) => line.slice(2)).join('\n')) as {
      services: Record<string, unknown>;
      volumes: Record<string, { name: string; driver: string; driver_opts: Record<string, string> }>;
    };
    const volume = example.volumes['datasets-nfs']!;
    expect([volume.driver, volume.driver_opts['type']]).toEqual(['local', 'nfs']);
    volume.driver_opts = { type: 'none', o: 'bind', device: share };
    nfsVolume = volume.name;
    example.services['worker-cpu-1'] = example.services['worker-cpu-0'];
    writeFileSync(path.join(directory, 'docker-compose.override.yml'), stringify(example));
    let user: PlzUser | undefined;
    try {
      await project.withDiagnostics(async () => {
        expectSuccess(await systemdStart(), 'ExecStart with the override');
        await expectAllHealthy();
        await refreshUrl();
        const probe = new PlzUser(url, readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim());
        user = probe;
        const { stdout } = await runCommand(dockerBinary, ['volume', 'inspect', '--format', '{{.Driver}} {{index .Options "type"}} {{index .Options "device"}}', nfsVolume], { env: dockerEnv() });
        expect(stdout.trim()).toBe(`local none ${share}`);
        for (const worker of ['worker-cpu-0', 'worker-cpu-1']) {
          const env = (await project.compose(['exec', '-T', worker, 'printenv', 'DATASETS_SOURCE'])).stdout.trim();
          expect(env).toBe(nfsVolume);
        }
        const result = await probe.plz(datasetsProbe(probe, 'digits/labels.csv'), ['run']);
        expect(result.stdout).toContain('datasets at /datasets, digits/labels.csv ends with: 2,3');
        expect(result.stdout).toContain('write: refused read-only');
        expect(result.status).toBe(0);
        expect(readFileSync(path.join(share, 'digits', 'labels.csv'), 'utf8')).toBe('id,label\n2,3\n');
        // and back to the generated datasets folder
        rmSync(path.join(directory, 'docker-compose.override.yml'));
        expectSuccess(await systemdStart(), 'ExecStart without the override');
        await expectAllHealthy();
      });
    } finally {
      user?.dispose();
    }
  }, 1_200_000);

  // Issue 15: kills and outages on this deployment, last (it restarts services and leaves executions behind).
  faultSuite(() => ({ project, token: readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim() }));
});

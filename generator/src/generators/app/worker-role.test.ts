import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { helpers, render, hostIndependent, type Rendered } from '../../testing/deployment.js';
import { listFiles } from '../../render/templates.js';

/** A CA certificate of the PEM shape (the generator checks the shape; the worker host's init checks it is one). */
const caCertificate = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZmFrZS1jYS1mb3ItdGVzdHMwCgYIKoZIzj0EAwIwHjEc\n-----END CERTIFICATE-----\n';

const secrets = {
  redis: 'RedisSecret0123456789abcdefghijklmnopqrstuv',
  postgres: 'PgSecret0123456789abcdefghijklmnopqrstuvwxy',
  s3: 'S3Secret0123456789abcdefghijklmnopqrstuvwxy',
  mlflow: 'MlflowSecret0123456789abcdefghijklmnopqrstu',
};

/** A join bundle as scripts/init/85-sync-worker-hosts.sh writes it. */
function bundle(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'plz-worker-host-bundle',
    version: 1,
    deployment: 'plz-lab',
    workerHost: 'gpu2',
    serverName: 'gpu-box.example.org',
    redis: { url: `rediss://plz-host-gpu2:${secrets.redis}@gpu-box.example.org:16380/0` },
    postgres: { url: `postgres://plz-host-gpu2:${secrets.postgres}@gpu-box.example.org:15432/restapi?sslmode=verify-full` },
    s3: { endpoint: 'https://gpu-box.example.org:19443', accessKeyId: 'plz-host-gpu2', secretAccessKey: secrets.s3 },
    mlflow: { url: 'https://gpu-box.example.org:15443/mlflow', username: 'plz-host-gpu2', password: secrets.mlflow },
    queue: { fairShareWindowHours: 48, fairShareQuantumSeconds: 30, maxRunningPerUser: 2, highPriorityAllowance: 5 },
    caCertificate,
    ...overrides,
  };
}

const bundles = mkdtempSync(path.join(tmpdir(), 'plz-bundles-'));
let count = 0;
/** Writes a bundle file (JSON of `content`, or the text itself) and returns its path. */
function bundleFile(content: Record<string, unknown> | string): string {
  count += 1;
  const file = path.join(bundles, `b${count}.bundle`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2), { mode: 0o600 });
  return file;
}

/** Every file of a folder that git would commit (the generated .gitignore applied), with its content. */
function committable(directory: string): string[] {
  execFileSync('git', ['init', '-q', directory]);
  const out = execFileSync('git', ['-C', directory, 'ls-files', '--others', '--exclude-standard'], { encoding: 'utf8' });
  rmSync(path.join(directory, '.git'), { recursive: true, force: true });
  return out.split('\n').filter(Boolean);
}

afterAll(() => rmSync(bundles, { recursive: true, force: true }));

describe('yo plz-deploy --role worker --join BUNDLE (a worker host)', () => {
  let deployment: Rendered;
  let datasets = '';
  beforeAll(async () => {
    datasets = mkdtempSync(path.join(tmpdir(), 'plz-datasets-'));
    deployment = await render({
      role: 'worker',
      join: bundleFile(bundle()),
      name: 'gpu2 workers',
      gpus: '0,1+2',
      'cpu-workers': '1',
      'controller-address': '10.1.2.3',
      'datasets-directory': datasets,
    });
  }, 120_000);
  afterAll(() => {
    deployment.remove();
    rmSync(datasets, { recursive: true, force: true });
  });

  it('writes only the workers: GPU workers per group and CPU workers, named after the worker host, with WORKER_HOST', () => {
    const { services, networks, volumes, name } = deployment.compose();
    expect(name).toBe('gpu2-workers');
    expect(Object.keys(services)).toEqual(['worker-gpu-0', 'worker-gpu-1', 'worker-cpu-0', 'init-tools']);
    expect(services['init-tools']?.profiles).toEqual(['init']);
    const environment = (service: string) => services[service]?.environment ?? {};
    expect(['worker-gpu-0', 'worker-gpu-1', 'worker-cpu-0'].map((service) => [environment(service)['WORKER_ID'], environment(service)['NVIDIA_VISIBLE_DEVICES'], environment(service)['WORKER_HOST']])).toEqual([
      ['gpu2-gpu-0', '0', 'gpu2'],
      ['gpu2-gpu-1', '1,2', 'gpu2'],
      ['gpu2-cpu-0', 'none', 'gpu2'],
    ]);
    expect(services['worker-gpu-1']?.deploy?.resources.reservations.devices[0]?.device_ids).toEqual(['1', '2']);
    expect(Object.keys(networks)).toEqual(['workers']);
    expect(networks['workers']?.internal).toBeUndefined();
    expect(Object.keys(volumes)).toEqual(['input-cache']);
    expect(deployment.read('docker-compose.yml')).not.toMatch(/\b(nginx|restapi|minio|mlflow|redis|db):\n/);
  });

  it('keeps the x-worker settings: Docker socket, input cache, the datasets folder read-only; the controller CA; the server name at --controller-address', () => {
    const worker = deployment.compose().services['worker-cpu-0'] as Record<string, unknown> & { volumes: unknown[] };
    expect(worker.volumes).toEqual([
      '/var/run/docker.sock:/var/run/docker.sock',
      './ssl/ca-certificates:/etc/plz/ca-certificates:ro',
      './ssl/controller/ca.crt:/etc/plz/controller/ca.crt:ro',
      'input-cache:/var/cache/plz',
      { type: 'bind', source: datasets, target: '/datasets', read_only: true },
    ]);
    expect(worker['extra_hosts']).toEqual(['gpu-box.example.org:10.1.2.3']);
    expect(worker['env_file']).toEqual(['envs/worker.env', 'envs/queue.env', 'secrets/controller.env']);
    expect(worker['group_add']).toEqual(['${DOCKER_SOCKET_GID:?run ./init-deployment.sh first}']);
    expect(deployment.compose().services['init-tools']?.volumes).toContain('./ssl/controller/ca.crt:/etc/plz/controller/ca.crt:ro');
  });

  it('sets every connection to the controller to TLS verified against its CA (the worker config.ts rules)', () => {
    const env = deployment.read('envs/worker.env');
    for (const line of [
      'S3_ENDPOINT=https://gpu-box.example.org:19443',
      'S3_ACCESS_KEY_ID=plz-host-gpu2',
      'MLFLOW_URL=https://gpu-box.example.org:15443/mlflow',
      'MLFLOW_TRACKING_USERNAME=plz-host-gpu2',
      'CONTROLLER_CA_FILE=/etc/plz/controller/ca.crt',
      'NODE_EXTRA_CA_CERTS=/etc/plz/controller/ca.crt',
      'JOBS_NETWORK=gpu2-workers-jobs',
      `DATASETS_SOURCE=${datasets}`,
    ]) {
      expect(env).toContain(`\n${line}\n`);
    }
    const controller = readFileSync(path.join(deployment.directory, 'secrets', 'controller.env'), 'utf8');
    expect(controller).toContain(`\nREDIS_URL=rediss://plz-host-gpu2:${secrets.redis}@gpu-box.example.org:16380/0\n`);
    expect(controller).toContain(`\nDATABASE_URL=postgres://plz-host-gpu2:${secrets.postgres}@gpu-box.example.org:15432/restapi?sslmode=verify-full\n`);
    expect(controller).toContain(`\nS3_SECRET_ACCESS_KEY=${secrets.s3}\n`);
    expect(controller).toContain(`\nMLFLOW_TRACKING_PASSWORD=${secrets.mlflow}\n`);
    expect(readFileSync(path.join(deployment.directory, 'ssl', 'controller', 'ca.crt'), 'utf8')).toBe(caCertificate);
  });

  it('writes the credentials to secrets/controller.env only (mode 0600, folder 0700), never to .yo-rc.json or a committable file', () => {
    const mode = (file: string) => (statSync(path.join(deployment.directory, file)).mode & 0o777).toString(8);
    expect([mode('secrets'), mode('secrets/controller.env')]).toEqual(['700', '600']);
    const files = committable(deployment.directory);
    expect(files).toContain('.yo-rc.json');
    expect(files).toContain('envs/worker.env');
    expect(files).not.toContain('secrets/controller.env');
    expect(files).not.toContain('ssl/controller/ca.crt');
    for (const file of files) {
      const content = readFileSync(path.join(deployment.directory, file), 'utf8');
      for (const secret of Object.values(secrets)) expect([file, content.includes(secret)]).toEqual([file, false]);
    }
    const stored = JSON.parse(deployment.read('.yo-rc.json'))['generator-plz-deploy'] as Record<string, unknown>;
    expect(stored).toMatchObject({ role: 'worker', controllerAddress: '10.1.2.3', gpus: '0,1+2', cpuWorkers: 1, fairShareWindowHours: 48 });
    expect(stored['controller']).toEqual({
      deployment: 'plz-lab',
      workerHost: 'gpu2',
      serverName: 'gpu-box.example.org',
      s3Endpoint: 'https://gpu-box.example.org:19443',
      s3AccessKeyId: 'plz-host-gpu2',
      mlflowUrl: 'https://gpu-box.example.org:15443/mlflow',
      mlflowUsername: 'plz-host-gpu2',
      redisAddress: 'gpu-box.example.org:16380',
      postgresAddress: 'gpu-box.example.org:15432',
    });
    for (const name of ['serverName', 'bindAddress', 'httpPort', 'https', 'workerHosts', 'workerHostsAddress']) expect([name, name in stored]).toEqual([name, false]);
  });

  it("takes the controller's queue rules from the bundle into envs/queue.env", () => {
    const queue = deployment.read('envs/queue.env');
    expect(queue).toContain('\nFAIR_SHARE_WINDOW_HOURS=48\n');
    expect(queue).toContain('\nFAIR_SHARE_QUANTUM_SECONDS=30\n');
    expect(queue).toContain('\nMAX_RUNNING_PER_USER=2\n');
    expect(queue).toContain('\nHIGH_PRIORITY_ALLOWANCE=5\n');
  });

  it('holds the worker-host init, its systemd unit template, DEPLOYMENT.md and the image sources; nothing of the controller', () => {
    const files = listFiles(deployment.directory, (name) => ['services', 'packages', 'cli', 'node_modules'].includes(name));
    expect(files.filter((file) => !['package.json', 'package-lock.json', 'tsconfig.base.json', '.dockerignore'].includes(file))).toEqual([
      '.gitignore',
      '.yo-rc.json',
      'DEPLOYMENT.md',
      'docker-compose.yml',
      'envs/deployment.env',
      'envs/queue.env',
      'envs/worker.env',
      'init-deployment.sh',
      'scripts/containers/check-controller.cjs',
      'scripts/init/10-check-requirements.sh',
      'scripts/init/15-check-nvidia.sh',
      'scripts/init/25-detect-docker-socket.sh',
      'scripts/init/45-check-ca-certificates.sh',
      'scripts/init/50-check-controller.sh',
      'scripts/init/90-render-systemd-unit.sh',
      'scripts/lib/common.sh',
      'secrets/controller.env',
      'ssl/ca-certificates/README.md',
      'ssl/controller/ca.crt',
      'systemd/deployment.service.template',
    ]);
    expect(existsSync(path.join(deployment.directory, 'services', 'Dockerfile'))).toBe(true);
    expect(deployment.read('envs/deployment.env')).toContain("PLZ_GPU_DEVICES='0 1 2'\n");
    expect(deployment.read('envs/deployment.env')).toContain("PLZ_WORKER_HOST='gpu2'\n");
    const guide = deployment.read('DEPLOYMENT.md');
    expect(guide).toContain('# plz worker host "gpu2"');
    expect(guide).toContain(`Jobs run here see \`${datasets}\` read-only at \`/datasets\``);
    expect(guide).toContain('./init-deployment.sh --revoke-worker-host\ngpu2');
    expect(deployment.read('systemd/deployment.service.template')).toContain('Description=plz deployment gpu2 workers (docker compose project gpu2-workers)');
  });

  it('has init scripts that pass shellcheck (following what they source) and a check script that Node parses', () => {
    const scripts = ['init-deployment.sh', ...listFiles(path.join(deployment.directory, 'scripts', 'init')).map((file) => `scripts/init/${file}`)];
    execFileSync('shellcheck', ['-x', '--severity=style', ...scripts], { cwd: deployment.directory });
    execFileSync(process.execPath, ['--check', 'scripts/containers/check-controller.cjs'], { cwd: deployment.directory });
    expect(statSync(path.join(deployment.directory, 'init-deployment.sh')).mode & 0o111).not.toBe(0);
  });

  it('passes docker compose config', async () => {
    const resolved = await deployment.resolved();
    expect(Object.keys(resolved.services).sort()).toEqual(['worker-cpu-0', 'worker-gpu-0', 'worker-gpu-1']);
    expect(resolved.services['worker-cpu-0']?.environment).toMatchObject({ REDIS_URL: expect.stringMatching(/^rediss:\/\//), WORKER_HOST: 'gpu2', FAIR_SHARE_WINDOW_HOURS: '48' });
  }, 120_000);

  it('keeps secrets/controller.env when run again without --join; replaces it with a new --join', async () => {
    const again = async (options: Record<string, unknown>) => {
      const result = await helpers.run('../generators/app/index.js', { autoCleanup: false }).cd(deployment.directory).withOptions({ 'skip-prompts': true, force: true, ...hostIndependent, ...options } as never);
      result.restore();
    };
    const before = readFileSync(path.join(deployment.directory, 'secrets', 'controller.env'), 'utf8');
    await again({ 'cpu-workers': '2' });
    expect(readFileSync(path.join(deployment.directory, 'secrets', 'controller.env'), 'utf8')).toBe(before);
    expect(Object.keys(deployment.compose().services)).toContain('worker-cpu-1');
    expect(deployment.compose().services['worker-cpu-1']?.environment?.['WORKER_ID']).toBe('gpu2-cpu-1');

    const rotated = bundle({ redis: { url: 'rediss://plz-host-gpu2:NewRedisSecret@gpu-box.example.org:16380/0' } });
    await again({ join: bundleFile(rotated) });
    expect(readFileSync(path.join(deployment.directory, 'secrets', 'controller.env'), 'utf8')).toContain('\nREDIS_URL=rediss://plz-host-gpu2:NewRedisSecret@gpu-box.example.org:16380/0\n');
  }, 240_000);
});

describe('the worker role refuses', () => {
  it.each([
    ['a file that is not JSON', 'not json', 'it is not JSON'],
    ['another kind', bundle({ kind: 'something-else' }), 'kind:'],
    ['another version', bundle({ version: 2 }), 'version:'],
    ['plain-text Redis', bundle({ redis: { url: `redis://plz-host-gpu2:${secrets.redis}@gpu-box.example.org:6379/0` } }), 'redis.url: expected rediss:// (TLS), not redis://'],
    ['PostgreSQL without verify-full', bundle({ postgres: { url: `postgres://plz-host-gpu2:${secrets.postgres}@gpu-box.example.org:15432/restapi?sslmode=require` } }), 'postgres.url: expected sslmode=verify-full'],
    ['plain-HTTP S3', bundle({ s3: { endpoint: 'http://gpu-box.example.org:9000', accessKeyId: 'plz-host-gpu2', secretAccessKey: secrets.s3 } }), 's3.endpoint: expected https://'],
    ['a missing MLflow password', bundle({ mlflow: { url: 'https://gpu-box.example.org:15443/mlflow', username: 'plz-host-gpu2' } }), 'mlflow.password:'],
    ['a missing queue', bundle({ queue: undefined }), 'queue:'],
    ['a bad worker host name', bundle({ workerHost: 'GPU_2' }), 'workerHost: expected 1-32 lower-case letters'],
    ['no CA certificate', bundle({ caCertificate: 'not a certificate' }), 'caCertificate: expected a PEM certificate'],
    ['an unknown field', bundle({ extra: true }), 'extra'],
  ])('a bundle with %s, naming the problem and writing nothing', async (_what, content, message) => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plz-refused-'));
    try {
      const run = helpers.run('../generators/app/index.js', { autoCleanup: false }).cd(directory).withOptions({ 'skip-prompts': true, ...hostIndependent, role: 'worker', join: bundleFile(content) } as never);
      const failure = await run.then(() => '', (error: Error) => error.message);
      expect(failure).toContain('is refused, nothing was written');
      expect(failure).toContain(message);
      for (const secret of Object.values(secrets)) expect(failure).not.toContain(secret);
      expect(listFiles(directory)).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 120_000);

  it('a missing bundle file, and --role worker without --join', async () => {
    await expect(render({ role: 'worker', join: path.join(bundles, 'missing.bundle') })).rejects.toThrow(/cannot read it: ENOENT/);
    await expect(render({ role: 'worker' })).rejects.toThrow('a worker host (--role worker) joins a controller: give --join BUNDLE');
  }, 120_000);

  it('--join or --controller-address on a controller, --worker-hosts on a worker host, a bad address or role', async () => {
    await expect(render({ join: bundleFile(bundle()) })).rejects.toThrow('--join is for a worker host: add --role worker');
    await expect(render({ 'controller-address': '10.1.2.3' })).rejects.toThrow('--controller-address is for a worker host');
    await expect(render({ role: 'worker', join: bundleFile(bundle()), 'worker-hosts': true })).rejects.toThrow('--worker-hosts is for a controller');
    await expect(render({ role: 'worker', join: bundleFile(bundle()), 'controller-address': 'gpu-box' })).rejects.toThrow('controller address "gpu-box" is not an IP address');
    await expect(render({ role: 'boss' })).rejects.toThrow('role "boss" is not controller or worker');
    await expect(render({ role: 'worker', join: bundleFile(bundle({ serverName: 'localhost' })), 'controller-address': '10.1.2.3' })).rejects.toThrow(`--controller-address cannot map the controller's server name "localhost"`);
  }, 240_000);
});

describe('a controller', () => {
  let deployment: Rendered;
  beforeAll(async () => {
    deployment = await render();
  }, 120_000);
  afterAll(() => deployment.remove());

  it('stores no role and no controller in .yo-rc.json (byte-identical to before the worker role)', () => {
    const stored = JSON.parse(deployment.read('.yo-rc.json'))['generator-plz-deploy'] as Record<string, unknown>;
    expect(['role', 'controllerAddress', 'controller'].filter((key) => key in stored)).toEqual([]);
    expect(existsSync(path.join(deployment.directory, 'secrets'))).toBe(false);
  });
});

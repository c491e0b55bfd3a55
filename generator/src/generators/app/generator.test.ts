import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compose, dummySecrets } from '../../testing/docker.js';
import { helpers, hostIndependent, render, rendered, type ComposeFile, type ComposeService, type Rendered } from '../../testing/deployment.js';

/**
 * The environment variables the REST API and the workers read (the services' config.ts, and the
 * fair-share settings of envs/queue.env: FairShareEnv, packages/lifecycle/src/dispatch/settings.ts), exactly.
 */
const restapiVariables = [
  'AUTH_CACHE_SECONDS', 'BOOTSTRAP_ADMIN_TOKEN_FILE', 'DATABASE_URL', 'FAIR_SHARE_QUANTUM_SECONDS', 'FAIR_SHARE_WINDOW_HOURS', 'HIGH_PRIORITY_ALLOWANCE', 'LOG_LEVEL', 'MAX_INPUT_BYTES',
  'MAX_RUNNING_PER_USER', 'MAX_SNAPSHOT_BYTES', 'MLFLOW_URL', 'PORT', 'RECONCILE_INTERVAL_SECONDS', 'REDIS_URL', 'S3_ACCESS_KEY_ID', 'S3_ENDPOINT', 'S3_REGION', 'S3_SECRET_ACCESS_KEY', 'SESSION_SECRET_FILE', 'SESSION_TTL', 'WORKER_LOST_SECONDS',
];
const workerVariables = [
  'DATABASE_URL', 'DATASETS_SOURCE', 'DOCKER_HOST', 'EXTRA_CA_CERTIFICATES_DIR', 'FAIR_SHARE_QUANTUM_SECONDS', 'FAIR_SHARE_WINDOW_HOURS', 'HEARTBEAT_FILE', 'HIGH_PRIORITY_ALLOWANCE', 'INPUT_CACHE_DIR', 'INPUT_CACHE_GIB', 'JOBS_NETWORK',
  'JOB_BUILD_TIMEOUT_SECONDS', 'JOB_CPUS_DEFAULT', 'JOB_CPUS_MAX', 'JOB_IMAGE_CACHE_GIB', 'JOB_LOG_MAX_BYTES', 'JOB_MAX_RUN_SECONDS_DEFAULT', 'JOB_MAX_RUN_SECONDS_MAX',
  'JOB_MEASURES_MAX_BYTES', 'JOB_MEMORY_DEFAULT', 'JOB_MEMORY_MAX', 'JOB_OUTPUT_MAX_BYTES', 'JOB_PIDS_LIMIT', 'JOB_SHM_SIZE_DEFAULT', 'LOG_LEVEL', 'MAX_RUNNING_PER_USER', 'MLFLOW_LOG_CONCURRENCY', 'MLFLOW_URL',
  'NVIDIA_VISIBLE_DEVICES', 'REDIS_URL', 'S3_ACCESS_KEY_ID', 'S3_ENDPOINT', 'S3_REGION', 'S3_SECRET_ACCESS_KEY', 'WEB_URL', 'WORKER_ID',
];

const workers = (file: ComposeFile): Array<[string, ComposeService]> => Object.entries(file.services).filter(([name]) => name.startsWith('worker-'));
const gpuDevices = (service: ComposeService): string[] | undefined => service.deploy?.resources.reservations.devices.flatMap((device) => device.device_ids);
const longRunning = (file: ComposeFile): Array<[string, ComposeService]> => Object.entries(file.services).filter(([, service]) => !service.profiles);

/** Checks shared by every variant: compose accepts the file, and the structure the design demands. */
async function expectValidDeployment(deployment: Rendered, bindAddress: string): Promise<ComposeFile> {
  await compose(deployment.directory, ['config', '-q']);
  const file = deployment.compose();
  const publishing = Object.entries(file.services).filter(([, service]) => service.ports && service.ports.length > 0).map(([name]) => name);
  expect(publishing).toEqual(['nginx']);
  expect(file.services['nginx']?.ports?.map((port) => port.host_ip)).toEqual([bindAddress, bindAddress]);
  for (const [name, service] of longRunning(file)) {
    expect({ name, healthcheck: Array.isArray(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) expect([name, dependency, condition.condition]).toEqual([name, dependency, 'service_healthy']);
  }
  // The REST API and every worker read the same fair-share settings.
  for (const [name, service] of [['restapi', file.services['restapi']] as const, ...workers(file)]) expect([name, service?.env_file]).toEqual([name, expect.arrayContaining(['envs/queue.env'])]);
  for (const [name, worker] of workers(file)) {
    expect(worker.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(worker.networks).toEqual(['internal']);
    expect(worker.environment?.['WORKER_ID']).toBe(`${file.name}-${name}`);
  }
  expect(file.networks['internal']).toMatchObject({ name: `${file.name}-internal`, internal: true });
  // The jobs network is the workers' own (JOBS_NETWORK), not compose's.
  expect(file.networks['jobs']).toBeUndefined();
  expect(Object.values(file.volumes).map((volume) => volume.name)).toEqual(['db-data', 'db-tls', 'redis-data', 'minio-data', 'input-cache'].map((volume) => `${file.name}-${volume}`));
  return file;
}

describe('yo plz-deploy', () => {
  const made: Rendered[] = [];
  const make = async (options: Record<string, unknown> = {}): Promise<Rendered> => {
    const deployment = await render(options);
    made.push(deployment);
    return deployment;
  };
  afterAll(() => made.forEach((deployment) => deployment.remove()));

  describe('with default answers', () => {
    let deployment: Rendered;
    let file: ComposeFile;
    beforeAll(async () => {
      deployment = await make();
      file = await expectValidDeployment(deployment, '127.0.0.1');
    }, 120_000);

    it('writes one CPU worker and no GPU worker, with the pinned upstream images', () => {
      expect(file.name).toBe('plz');
      expect(workers(file).map(([name, worker]) => [name, worker.environment?.['NVIDIA_VISIBLE_DEVICES'], worker.deploy])).toEqual([['worker-cpu-0', 'none', undefined]]);
      expect(file.services['db']?.image).toBe('postgres:15-bookworm');
      expect(file.services['minio']?.image).toBe('minio/minio:RELEASE.2025-09-07T16-13-09Z');
      expect(file.services['nginx']?.ports?.map((port) => [port.target, port.published])).toEqual([[80, '80'], [443, '443']]);
    });

    it('builds the plz images from the sources it copied, as the repository root does', () => {
      expect(file.services['restapi']).toMatchObject({ image: 'plz-restapi:dev', build: { context: '.', dockerfile: 'services/Dockerfile', target: 'restapi' } });
      expect(file.services['mlflow']?.image).toBe('plz-mlflow:dev');
      expect(existsSync(path.join(deployment.directory, 'services/mlflow/Dockerfile'))).toBe(true);
      expect(existsSync(path.join(deployment.directory, 'package-lock.json'))).toBe(true);
    });

    it('gives the REST API and the workers exactly their environment variables, secrets from .env', async () => {
      const resolved = await deployment.resolved();
      expect(Object.keys(resolved.services['restapi']?.environment ?? {}).sort()).toEqual(restapiVariables);
      expect(Object.keys(resolved.services['worker-cpu-0']?.environment ?? {}).sort()).toEqual(workerVariables);
      expect(resolved.services['restapi']?.environment?.['DATABASE_URL']).toBe('postgres://restapi:dummy-restapi-db@db:5432/restapi?uselibpqcompat=true&sslmode=disable');
      expect(resolved.services['mlflow']?.environment?.['MLFLOW_BACKEND_STORE_URI']).toMatch(/@db:5432\/mlflow\?sslmode=disable$/);
      expect(resolved.services['db']?.command).toEqual(expect.arrayContaining(['ssl=off', 'hba_file=/etc/plz/db-config/pg_hba-ssl-off.conf']));
      expect(resolved.services['worker-cpu-0']?.environment).toMatchObject({ JOBS_NETWORK: 'plz-jobs', DATASETS_SOURCE: '', NVIDIA_VISIBLE_DEVICES: 'none' });
      expect(resolved.services['worker-cpu-0']?.group_add).toEqual(['999']);
    });

    it('gives each worker its own folder of the input-cache volume (INPUT_CACHE_DIR), 20 GiB by default', async () => {
      const resolved = await deployment.resolved();
      const workerServices = Object.entries(resolved.services).filter(([name]) => name.startsWith('worker-'));
      const folders = workerServices.map(([, service]) => service.environment?.['INPUT_CACHE_DIR']);
      expect(new Set(folders).size).toBe(workerServices.length);
      for (const [, service] of workerServices) {
        expect(service.environment?.['INPUT_CACHE_DIR']).toBe(`/var/cache/plz/${service.environment?.['WORKER_ID']}`);
        expect(service.environment?.['INPUT_CACHE_GIB']).toBe('20');
        expect(JSON.stringify(service.volumes)).toContain('"target":"/var/cache/plz"');
      }
      expect(resolved.volumes['input-cache']?.name).toBe('plz-input-cache');
    });

    it("gives the workers the deployment's web URL that init keeps in .env (PLZ_WEB_URL), empty before init wrote it", async () => {
      expect((await deployment.resolved()).services['worker-cpu-0']?.environment?.['WEB_URL']).toBe('');
      const { stdout } = await compose(deployment.directory, ['config', '--format', 'json'], { ...dummySecrets, PLZ_WEB_URL: 'https://gpu-box.example:8443' });
      expect((JSON.parse(stdout) as ComposeFile).services['worker-cpu-0']?.environment?.['WEB_URL']).toBe('https://gpu-box.example:8443');
    });

    it('refuses to start before init: every secret is required', async () => {
      await expect(compose(deployment.directory, ['config', '-q'], { POSTGRES_PASSWORD: '' })).rejects.toThrow(/run \.\/init-deployment\.sh first/);
      await expect(compose(deployment.directory, ['config', '-q'], { ...dummySecrets, REDIS_PASSWORD: '' })).rejects.toThrow(/REDIS_PASSWORD[\s\S]*run \.\/init-deployment\.sh first/);
    });

    it('hands the REST API its admin token and session secret as files, from .env, with their settings', async () => {
      expect(file.services['restapi']?.secrets).toEqual([
        { source: 'admin-token', target: 'plz-admin-token' },
        { source: 'session-secret', target: 'plz-session-secret' },
      ]);
      expect(file.secrets).toEqual({ 'admin-token': { environment: 'PLZ_ADMIN_TOKEN' }, 'session-secret': { environment: 'PLZ_SESSION_SECRET' } });
      const resolved = await deployment.resolved();
      expect(resolved.services['restapi']?.environment).toMatchObject({ SESSION_SECRET_FILE: '/run/secrets/plz-session-secret', SESSION_TTL: '12h', AUTH_CACHE_SECONDS: '5' });
      expect(JSON.stringify(resolved.services['restapi']?.environment)).not.toContain('dummy-session-secret');
    });

    it('keeps the Redis password off the command line: a config file, readable by the redis user', async () => {
      const resolved = await deployment.resolved();
      const redis = resolved.services['redis'];
      expect(redis?.command).toEqual(['redis-server', '/etc/plz/redis.conf']);
      expect(redis?.configs).toEqual([expect.objectContaining({ source: 'redis-config', target: '/etc/plz/redis.conf', mode: '0444' })]);
      expect(resolved.configs?.['redis-config']?.content?.split('\n')).toEqual(['requirepass dummy-redis', 'appendonly yes', 'maxmemory 1gb', 'maxmemory-policy noeviction', '']);
      expect(redis?.environment).toEqual({ REDISCLI_AUTH: 'dummy-redis' });
      for (const service of Object.values(resolved.services)) expect(JSON.stringify(service.command ?? [])).not.toContain('dummy-');
    });

    it('runs MinIO without its web console', async () => {
      const resolved = await deployment.resolved();
      expect(resolved.services['minio']?.command).toEqual(['server', '/data']);
      expect(resolved.services['minio']?.environment).toMatchObject({ MINIO_BROWSER: 'off' });
    });

    it('shares the queues as the services do by default: a 24-hour window, a 60-second quantum, no cap, high priority for admins', async () => {
      const resolved = await deployment.resolved();
      const defaults = { FAIR_SHARE_WINDOW_HOURS: '24', FAIR_SHARE_QUANTUM_SECONDS: '60', MAX_RUNNING_PER_USER: '0', HIGH_PRIORITY_ALLOWANCE: '0' };
      for (const service of ['restapi', 'worker-cpu-0']) expect([service, resolved.services[service]?.environment]).toEqual([service, expect.objectContaining(defaults)]);
      expect(deployment.read('DEPLOYMENT.md')).toContain('`high` is for admins only.');
    });

    it('records the bind address and the plain HTTP answer for init', () => {
      expect(deployment.read('envs/deployment.env')).toMatch(/^PLZ_BIND_ADDRESS='127\.0\.0\.1'\nPLZ_BIND_LOOPBACK='yes'\nPLZ_ALLOW_PLAIN_HTTP='no'$/m);
    });

    it('stores the answers in .yo-rc.json', () => {
      const stored = JSON.parse(deployment.read('.yo-rc.json')) as Record<string, Record<string, unknown>>;
      expect(stored['generator-plz-deploy']).toMatchObject({ name: 'plz', gpus: 'none', cpuWorkers: 1, httpPort: 80, https: false, allowPlainHttp: false });
    });
  });

  it('writes one GPU worker per device with --gpus 0,1,2,3', async () => {
    const file = await expectValidDeployment(await make({ gpus: '0,1,2,3', 'cpu-workers': '0' }), '127.0.0.1');
    expect(workers(file).map(([name, worker]) => [name, worker.environment?.['NVIDIA_VISIBLE_DEVICES'], gpuDevices(worker)])).toEqual([
      ['worker-gpu-0', '0', ['0']],
      ['worker-gpu-1', '1', ['1']],
      ['worker-gpu-2', '2', ['2']],
      ['worker-gpu-3', '3', ['3']],
    ]);
    expect(file.services['worker-gpu-0']?.deploy?.resources.reservations.devices[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
  }, 120_000);

  it('writes two-GPU workers and CPU workers with --gpus 0+1,2+3 --cpu-workers 2', async () => {
    const file = await expectValidDeployment(await make({ gpus: '0+1,2+3', 'cpu-workers': '2' }), '127.0.0.1');
    expect(workers(file).map(([name, worker]) => [name, worker.environment?.['NVIDIA_VISIBLE_DEVICES'], gpuDevices(worker)])).toEqual([
      ['worker-gpu-0', '0,1', ['0', '1']],
      ['worker-gpu-1', '2,3', ['2', '3']],
      ['worker-cpu-0', 'none', undefined],
      ['worker-cpu-1', 'none', undefined],
    ]);
  }, 120_000);

  it('starts with HTTPS on with --https', async () => {
    const deployment = await make({ https: true, 'https-port': '8443', 'server-name': 'plz.example.org' });
    await expectValidDeployment(deployment, '127.0.0.1');
    expect(deployment.read('envs/deployment.env')).toContain("PLZ_DEFAULT_NGINX_SSL='on'");
    expect(deployment.read('config/nginx/https.conf')).toContain('return 301 https://$host:8443$request_uri;');
    expect(deployment.read('config/nginx/https.conf')).toContain('server_name plz.example.org;');
    expect(deployment.read('envs/mlflow.env')).toMatch(/^MLFLOW_SERVER_ALLOWED_HOSTS=plz\.example\.org,plz\.example\.org:\*,/m);
  }, 120_000);

  describe('with a datasets folder', () => {
    let datasets = '';
    beforeAll(() => {
      datasets = mkdtempSync(path.join(tmpdir(), 'plz-datasets-'));
    });
    afterAll(() => rmSync(datasets, { recursive: true, force: true }));

    it('mounts it read-only into the workers and names it to their jobs', async () => {
      const deployment = await make({ 'datasets-directory': datasets, 'cpu-workers': '2' });
      const file = await expectValidDeployment(deployment, '127.0.0.1');
      for (const [, worker] of workers(file)) expect(worker.volumes).toContainEqual({ type: 'bind', source: datasets, target: '/datasets', read_only: true });
      expect(deployment.read('envs/worker.env')).toContain(`DATASETS_SOURCE=${datasets}\n`);
      expect(deployment.read('envs/deployment.env')).toContain(`PLZ_DATASETS_DIRECTORY='${datasets}'`);
    }, 120_000);
  });

  it('publishes custom ports on the bind address, in plain HTTP when allowed', async () => {
    const deployment = await make({ 'http-port': '8080', 'https-port': '8443', 'bind-address': '0.0.0.0', 'allow-plain-http': true });
    const file = await expectValidDeployment(deployment, '0.0.0.0');
    expect(file.services['nginx']?.ports?.map((port) => [port.target, port.published])).toEqual([[80, '8080'], [443, '8443']]);
    expect(deployment.read('envs/deployment.env')).toMatch(/^PLZ_BIND_ADDRESS='0\.0\.0\.0'\nPLZ_BIND_LOOPBACK='no'\nPLZ_ALLOW_PLAIN_HTTP='yes'$/m);
    const stored = JSON.parse(deployment.read('.yo-rc.json')) as Record<string, Record<string, unknown>>;
    expect(stored['generator-plz-deploy']).toMatchObject({ bindAddress: '0.0.0.0', https: false, allowPlainHttp: true });
  }, 120_000);

  it('serves a network address with HTTPS without --allow-plain-http', async () => {
    const deployment = await make({ 'bind-address': '10.0.0.5', https: true });
    await expectValidDeployment(deployment, '10.0.0.5');
    expect(deployment.read('envs/deployment.env')).toMatch(/^PLZ_BIND_LOOPBACK='no'\nPLZ_ALLOW_PLAIN_HTTP='no'$/m);
    expect(deployment.read('DEPLOYMENT.md')).toContain('init refuses\n`--disable-nginx-ssl`');
  }, 120_000);

  it('lets Docker choose the ports when they are 0', async () => {
    const file = await expectValidDeployment(await make({ 'http-port': '0', 'https-port': '0' }), '127.0.0.1');
    expect(file.services['nginx']?.ports?.map((port) => port.published)).toEqual([undefined, undefined]);
  }, 120_000);

  it('uses published images, without sources, with --image-registry', async () => {
    const deployment = await make({ 'image-registry': 'registry.example.org:5000/plz', 'image-tag': '1.2.3', name: 'Lab Two' });
    const file = await expectValidDeployment(deployment, '127.0.0.1');
    expect(file.name).toBe('lab-two');
    expect([file.services['restapi']?.image, file.services['worker-cpu-0']?.image, file.services['mlflow']?.image]).toEqual([
      'registry.example.org:5000/plz/plz-restapi:1.2.3',
      'registry.example.org:5000/plz/plz-worker:1.2.3',
      'registry.example.org:5000/plz/plz-mlflow:1.2.3',
    ]);
    expect(Object.values(file.services).filter((service) => service.build)).toEqual([]);
    expect(existsSync(path.join(deployment.directory, 'services'))).toBe(false);
  }, 120_000);

  it.each([
    [{ gpus: '0,1,1' }, /GPU 1 is given twice/],
    [{ gpus: 'all' }, /"all" is not a GPU index/],
    [{ 'datasets-directory': '/no/such/plz/datasets' }, /datasets folder "\/no\/such\/plz\/datasets" does not exist/],
    [{ 'http-port': '8080', 'https-port': '8080' }, /ports clash: both are 8080/],
    [{ name: '-plz' }, /deployment name "-plz" is not usable/],
    [{ 'cpu-workers': '0' }, /no worker/],
    [{ 'bind-address': 'everywhere' }, /bind address "everywhere" is not an IP address/],
    [{ 'bind-address': '0.0.0.0' }, /bind address "0\.0\.0\.0" is reachable from the network, and without HTTPS API tokens and browser session cookies would cross it in clear text: enable HTTPS \(--https/],
    [{ 'bind-address': '192.168.1.10', 'https-port': '8443' }, /--allow-plain-http if the network is trusted/],
    [{ 'fair-share-window-hours': '0' }, /--fair-share-window-hours "0" is not a whole number of hours from 1 to 8760/],
    [{ 'fair-share-quantum-seconds': '1.5' }, /--fair-share-quantum-seconds "1\.5" is not a whole number of seconds from 1 to 86400/],
    [{ 'max-running-per-user': '-2' }, /--max-running-per-user "-2" is not a whole number of executions from 0 to 100000 \(0: no cap\)/],
    [{ 'high-priority-allowance': 'ten' }, /--high-priority-allowance "ten" is not a whole number of executions from 0 to 1000000/],
  ])('refuses %j with its message', async (options, message) => {
    await expect(render(options)).rejects.toThrow(message);
  });

  it('writes the job limits given by flag into envs/worker.env and .yo-rc.json', async () => {
    const deployment = await make({
      'job-memory-max': '24G', 'job-memory-default': '6g', 'job-cpus-max': '12', 'job-cpus-default': '1.5', 'job-shm-size-default': '512m', 'job-pids-limit': '2048',
      'job-max-run-seconds-default': '3600', 'job-max-run-seconds-max': '86400', 'job-image-cache-gib': '0', 'input-cache-gib': '5',
    });
    await expectValidDeployment(deployment, '127.0.0.1');
    const env = deployment.read('envs/worker.env');
    for (const line of ['JOB_MEMORY_MAX=24g', 'JOB_MEMORY_DEFAULT=6g', 'JOB_CPUS_MAX=12', 'JOB_CPUS_DEFAULT=1.5', 'JOB_SHM_SIZE_DEFAULT=512m', 'JOB_PIDS_LIMIT=2048', 'JOB_MAX_RUN_SECONDS_DEFAULT=3600', 'JOB_MAX_RUN_SECONDS_MAX=86400', 'JOB_IMAGE_CACHE_GIB=0', 'INPUT_CACHE_GIB=5']) {
      expect(env).toContain(`\n${line}\n`);
    }
    const stored = JSON.parse(deployment.read('.yo-rc.json')) as Record<string, Record<string, unknown>>;
    expect(stored['generator-plz-deploy']).toMatchObject({ jobMemoryMax: '24g', jobMemoryDefault: '6g', jobCpusMax: 12, jobCpusDefault: 1.5, jobShmSizeDefault: '512m', jobPidsLimit: 2048, jobImageCacheGib: 0, inputCacheGib: 5 });
    const resolved = await deployment.resolved();
    expect(resolved.services['worker-cpu-0']?.environment).toMatchObject({ JOB_MEMORY_MAX: '24g', JOB_CPUS_DEFAULT: '1.5', JOB_IMAGE_CACHE_GIB: '0', INPUT_CACHE_GIB: '5' });
  }, 120_000);

  it('writes the fair-share settings given by flag into envs/queue.env, read by the REST API and every worker, and .yo-rc.json', async () => {
    const deployment = await make({ gpus: '0', 'fair-share-window-hours': '168', 'fair-share-quantum-seconds': '300', 'max-running-per-user': '2', 'high-priority-allowance': '5' });
    await expectValidDeployment(deployment, '127.0.0.1');
    const settings = { FAIR_SHARE_WINDOW_HOURS: '168', FAIR_SHARE_QUANTUM_SECONDS: '300', MAX_RUNNING_PER_USER: '2', HIGH_PRIORITY_ALLOWANCE: '5' };
    expect(deployment.read('envs/queue.env')).toMatch(/\nFAIR_SHARE_WINDOW_HOURS=168\n[\s\S]*\nFAIR_SHARE_QUANTUM_SECONDS=300\n[\s\S]*\nMAX_RUNNING_PER_USER=2\n[\s\S]*\nHIGH_PRIORITY_ALLOWANCE=5\n$/);
    const resolved = await deployment.resolved();
    for (const service of ['restapi', 'worker-gpu-0', 'worker-cpu-0']) expect([service, resolved.services[service]?.environment]).toEqual([service, expect.objectContaining(settings)]);
    const stored = JSON.parse(deployment.read('.yo-rc.json')) as Record<string, Record<string, unknown>>;
    expect(stored['generator-plz-deploy']).toMatchObject({ fairShareWindowHours: 168, fairShareQuantumSeconds: 300, maxRunningPerUser: 2, highPriorityAllowance: 5 });
    expect(deployment.read('DEPLOYMENT.md')).toContain('`high` is for admins, and for other users up to 5 executions each per window.');
  }, 120_000);

  it('derives the job limits from --host-memory and --host-cpus for its workers', async () => {
    const deployment = await make({ 'host-memory': '256g', 'host-cpus': '64', 'cpu-workers': '8' });
    expect(deployment.read('envs/worker.env')).toMatch(/\nJOB_MEMORY_DEFAULT=8g\nJOB_MEMORY_MAX=24g\nJOB_CPUS_DEFAULT=4\nJOB_CPUS_MAX=8\n/);
  }, 120_000);

  it('refuses a job default above its maximum, naming both flags', async () => {
    await expect(render({ 'job-memory-max': '4g', 'job-memory-default': '8g' })).rejects.toThrow(
      'the default memory of a job (--job-memory-default 8g) is above its maximum (--job-memory-max 4g): lower the default or raise the maximum',
    );
  }, 120_000);

  it('asks the questions no flag answered', async () => {
    const result = await helpers.run('../generators/app/index.js', { autoCleanup: false }).withOptions({ ...hostIndependent, 'http-port': '8080' } as never).withAnswers({ cpuWorkers: '3', httpsPort: '8443' });
    result.restore();
    const deployment = rendered(result.cwd);
    made.push(deployment);
    const asked = result.askedQuestions.map((question) => question.name);
    expect(asked).toContain('cpuWorkers');
    expect(asked).not.toContain('httpPort');
    expect(workers(deployment.compose()).map(([name]) => name)).toEqual(['worker-cpu-0', 'worker-cpu-1', 'worker-cpu-2']);
  }, 120_000);

  it('updates an existing deployment from .yo-rc.json, changing only the answer given by flag', async () => {
    const first = await make({ name: 'lab', gpus: '0,1', 'http-port': '8080', 'https-port': '8443' });
    const result = await helpers
      .run('../generators/app/index.js', { autoCleanup: false, tmpdir: false, cwd: first.directory })
      .withOptions({ ...hostIndependent, 'skip-prompts': true, 'cpu-workers': '3', force: true } as never);
    result.restore();
    const file = await expectValidDeployment(first, '127.0.0.1');
    expect(file.name).toBe('lab');
    expect(workers(file).map(([name]) => name)).toEqual(['worker-gpu-0', 'worker-gpu-1', 'worker-cpu-0', 'worker-cpu-1', 'worker-cpu-2']);
    const stored = JSON.parse(readFileSync(path.join(first.directory, '.yo-rc.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(stored['generator-plz-deploy']).toMatchObject({ name: 'lab', gpus: '0,1', httpPort: 8080, httpsPort: 8443, cpuWorkers: 3 });
  }, 120_000);

  it("removes, run again, the sources an earlier release's copy held that the current one lacks, and nothing else", async () => {
    const first = await make();
    const stale = ['services/restapi/src/migrations/001_initial.ts', 'services/worker/Dockerfile', 'packages/gone/src/index.ts'];
    for (const file of stale) {
      mkdirSync(path.dirname(path.join(first.directory, file)), { recursive: true });
      writeFileSync(path.join(first.directory, file), '// from an earlier release\n');
    }
    writeFileSync(path.join(first.directory, 'docker-compose.override.yml'), 'services: {}\n');
    const result = await helpers
      .run('../generators/app/index.js', { autoCleanup: false, tmpdir: false, cwd: first.directory })
      .withOptions({ ...hostIndependent, 'skip-prompts': true, force: true } as never);
    result.restore();
    expect(stale.filter((file) => existsSync(path.join(first.directory, file)))).toEqual([]);
    expect(existsSync(path.join(first.directory, 'services', 'Dockerfile'))).toBe(true);
    expect(existsSync(path.join(first.directory, 'docker-compose.override.yml'))).toBe(true);
  }, 120_000);
});

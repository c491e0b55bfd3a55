import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ComposeProject, docker, dockerEnv } from './docker.js';
import { generateDeployment as generate } from './generate.js';

/**
 * init-deployment.sh on a deployment written by the real `yo plz-deploy`, in a throwaway folder
 * with a unique name (so its volumes and networks clash with nothing): what each step creates, that
 * a second run changes nothing, least privilege of the PostgreSQL roles and MinIO accounts, TLS.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const slug = `plz-e2e-init-${randomBytes(3).toString('hex')}`;
/** The secrets init generates into .env (scripts/init/20-create-secrets.sh). */
const secretNames = [
  'POSTGRES_PASSWORD', 'RESTAPI_DB_PASSWORD', 'WORKER_DB_PASSWORD', 'MLFLOW_DB_PASSWORD', 'REDIS_PASSWORD', 'MINIO_ROOT_PASSWORD',
  'RESTAPI_S3_SECRET_KEY', 'WORKER_S3_SECRET_KEY', 'MLFLOW_S3_SECRET_KEY', 'PLZ_SESSION_SECRET',
];
/** Node script: connects with ioredis to REDIS_URL and prints appendonly and maxmemory-policy as JSON, or `error: ...`. */
const redisProbe = `const Redis = require('ioredis');
const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
const errors = [];
redis.on('error', (error) => errors.push(error.message));
redis.connect()
  .then(() => Promise.all([redis.config('GET', 'appendonly'), redis.config('GET', 'maxmemory-policy')]))
  .then((settings) => console.log(JSON.stringify(settings.flat())), (error) => console.log('error: ' + (errors[0] ?? error.message)))
  .finally(() => redis.disconnect());`;
/**
 * TCP ports listened on inside a container, from /proc/net/tcp and tcp6 (state 0A: LISTEN), but for
 * Docker's embedded DNS server (127.0.0.11, `0B00007F`), which listens in every container's network.
 */
const listeningPorts = (procNetTcp: string): number[] => {
  const listeners = procNetTcp.split('\n').map((line) => line.trim().split(/\s+/)).filter((fields) => fields[3] === '0A' && !fields[1]?.startsWith('0B00007F:'));
  return [...new Set(listeners.map((fields) => parseInt(fields[1]?.split(':')[1] ?? '', 16)))].sort((a, b) => a - b);
};


interface InitResult {
  status: number;
  stdout: string;
  stderr: string;
}

describe('init-deployment.sh on a generated deployment', () => {
  let base = '';
  let directory = '';
  let project: ComposeProject;
  const file = (name: string): string => path.join(directory, name);
  const env = (key: string): string => new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(file('.env'), 'utf8'))?.[1] ?? '';
  const init = async (...flags: string[]): Promise<InitResult> => {
    try {
      const { stdout, stderr } = await run('bash', ['init-deployment.sh', ...flags], { cwd: directory, env: dockerEnv(), timeout: 300_000 });
      return { status: 0, stdout, stderr };
    } catch (error) {
      const e = error as Error & { code?: number; stdout?: string; stderr?: string };
      return { status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
    }
  };
  /** sha256 of every file of the deployment (secrets included), by path. */
  const fingerprint = (): Record<string, string> => {
    const sums: Record<string, string> = {};
    const walk = (relative: string): void => {
      for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
        const child = path.join(relative, entry.name);
        if (entry.isDirectory()) walk(child);
        else sums[child] = `${(statSync(file(child)).mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(file(child))).digest('hex')}`;
      }
    };
    walk('');
    return sums;
  };
  /** psql in the db container, over TCP as ROLE with its password (loopback would be trusted). */
  const psql = (role: string, password: string, database: string, sql: string) =>
    project.compose(['exec', '-T', '-e', `PGPASSWORD=${password}`, 'db', 'sh', '-c', `psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$(hostname -i)" -U ${role} -d ${database} -c "$0"`, sql]);
  /** mc in the minio-init container with one alias per service account (r, w, m). */
  const mc = (script: string) =>
    project.compose([
      'run', '--rm', '--no-deps', '-T', '--entrypoint', 'sh',
      '-e', `MC_HOST_r=http://plz-restapi:${env('RESTAPI_S3_SECRET_KEY')}@minio:9000`,
      '-e', `MC_HOST_w=http://plz-worker:${env('WORKER_S3_SECRET_KEY')}@minio:9000`,
      '-e', `MC_HOST_m=http://plz-mlflow:${env('MLFLOW_S3_SECRET_KEY')}@minio:9000`,
      'minio-init', '-c', script,
    ]);
  /** redis-cli in a container of the redis image on the internal network, connecting with URL (as the services do). */
  /**
   * Connects to Redis as the REST API and the workers do (ioredis from the repository, REDIS_URL),
   * from a node container on the internal network, and prints two settings or the error.
   */
  const redis = (url: string): Promise<string> =>
    docker(['run', '--rm', '--network', `${slug}-internal`, '-v', `${path.join(root, 'node_modules')}:/app/node_modules:ro`, '-w', '/app', '-e', `REDIS_URL=${url}`, 'node:24-bookworm-slim', 'node', '-e', redisProbe]).then(
      (result) => result.stdout.trim(),
      (error: Error) => error.message,
    );
  /** Writes a self-signed certificate and key into ssl/DIR with openssl in the postgres image. */
  const certificate = (dir: string, key = 'server.key') =>
    project.compose(['run', '--rm', '--no-deps', '-T', '-v', `${file('ssl')}:/ssl`, '--entrypoint', 'sh', 'init-tools', '-c',
      `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 -keyout /ssl/${dir}/${key} -out /ssl/${dir}/server.crt 2>/dev/null && chmod 644 /ssl/${dir}/*`]);

  let first: InitResult;
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'plz-e2e-init-'));
    directory = path.join(base, 'deployment');
    project = new ComposeProject(path.join(directory, 'docker-compose.yml'), slug, {});
    await generate(directory, ['--name', slug, '--http-port', '0', '--https-port', '0', '--cpu-workers', '2']);
    first = await init();
  }, 600_000);

  afterAll(async () => {
    await project?.compose(['--profile', 'init', 'down', '-v', '--remove-orphans']).catch(() => undefined);
    if (base) rmSync(base, { recursive: true, force: true });
  }, 120_000);

  it('runs every step, creating the secrets with mode 0600 and showing the admin token once', () => {
    expect(first.stderr).toMatch(/-- 10-check-requirements[\s\S]*-- 25-detect-docker-socket[\s\S]*-- 90-render-systemd-unit[\s\S]*done/);
    expect(first.stderr).toMatch(/npm install -g (http:\/\/localhost\S*)\/downloads\/plz\.tgz\n\s+plz login \1\n/);
    expect(first.status).toBe(0);
    expect((statSync(file('.env')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(file('secrets')).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(file('secrets/admin-token')).mode & 0o777).toString(8)).toBe('600');
    const token = readFileSync(file('secrets/admin-token'), 'utf8');
    expect(token).toMatch(/^plz_[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).toContain(token);
    expect(env('PLZ_ADMIN_TOKEN')).toBe(token);
    for (const key of secretNames) {
      expect([key, env(key)]).toEqual([key, expect.stringMatching(/^[A-Za-z0-9]{43}$/)]);
    }
    expect(env('DOCKER_SOCKET_GID')).toBe(String(statSync('/var/run/docker.sock').gid));
    expect(readFileSync(file(`systemd/${slug}.service`), 'utf8')).toMatch(new RegExp(`WorkingDirectory=${directory}\\nExecStart=/\\S+ compose up -d --wait --remove-orphans\\nExecStop=/\\S+ compose down --remove-orphans\\n`));
  });

  it('changes nothing on a second run: files, secrets and modes stay, the token is not shown again', async () => {
    const before = fingerprint();
    const second = await init();
    expect(second.status).toBe(0);
    expect(fingerprint()).toEqual(before);
    expect(second.stdout).not.toContain(readFileSync(file('secrets/admin-token'), 'utf8'));
  }, 300_000);

  it('lets git ignore every secret it wrote, and nothing of the bundle', async () => {
    await run('git', ['init', '-q', directory]);
    const ignored = async (name: string): Promise<boolean> =>
      run('git', ['-c', `safe.directory=${directory}`, 'check-ignore', '-q', name], { cwd: directory }).then(() => true, () => false);
    for (const secret of ['.env', 'secrets/admin-token', `systemd/${slug}.service`, 'ssl/nginx/server.key', 'ssl/db/server.key', 'docker-compose.override.yml']) {
      expect([secret, await ignored(secret)]).toEqual([secret, true]);
    }
    for (const bundle of ['docker-compose.yml', 'envs/worker.env', 'scripts/init/20-create-secrets.sh', 'ssl/nginx/README.md']) {
      expect([bundle, await ignored(bundle)]).toEqual([bundle, false]);
    }
  });

  it('creates PostgreSQL roles with least privilege; the worker may update executions once the REST API made the table', async () => {
    const restapi = env('RESTAPI_DB_PASSWORD');
    const worker = env('WORKER_DB_PASSWORD');
    await psql('restapi', restapi, 'restapi', 'CREATE TABLE users (id int PRIMARY KEY, name text, role text); INSERT INTO users VALUES (7, \'ada\', \'admin\'); CREATE TABLE executions (id int PRIMARY KEY, state text); INSERT INTO executions VALUES (1, \'queued\')');
    expect((await psql('worker', worker, 'restapi', "UPDATE executions SET state = 'running' WHERE id = 1 AND state NOT IN ('succeeded') RETURNING state")).stdout.trim()).toBe('running');
    // the owner's name of an execution (the MLflow run's user tag), and no other column of users
    expect((await psql('worker', worker, 'restapi', 'SELECT id, name FROM users')).stdout.trim()).toContain('ada');
    await expect(psql('worker', worker, 'restapi', 'SELECT role FROM users')).rejects.toThrow(/permission denied for table users/);
    await expect(psql('worker', worker, 'restapi', 'SELECT * FROM users')).rejects.toThrow(/permission denied for table users/);
    await expect(psql('worker', worker, 'restapi', 'DELETE FROM executions')).rejects.toThrow(/permission denied for table executions/);
    await expect(psql('worker', worker, 'restapi', 'CREATE TABLE extra (id int)')).rejects.toThrow(/permission denied for schema public/);
    await expect(psql('restapi', restapi, 'mlflow', 'SELECT 1')).rejects.toThrow(/permission denied for database "mlflow"/);
    await expect(psql('worker', worker, 'mlflow', 'SELECT 1')).rejects.toThrow(/permission denied for database "mlflow"/);
    await expect(psql('mlflow', env('MLFLOW_DB_PASSWORD'), 'restapi', 'SELECT 1')).rejects.toThrow(/permission denied for database "restapi"/);
    expect((await psql('mlflow', env('MLFLOW_DB_PASSWORD'), 'mlflow', 'CREATE TABLE runs (id int); SELECT 1')).stdout.trim()).toBe('1');
    await expect(psql('restapi', 'wrong-password', 'restapi', 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  }, 120_000);

  it('creates one MinIO account per service with its own policy', async () => {
    const denied = /Access Denied|Insufficient permissions/;
    await mc('echo snapshot > /tmp/s && mc cp -q /tmp/s r/plz-snapshots/abc.tar.gz && mc cp -q /tmp/s r/plz-inputs/abc.tar');
    expect((await mc('mc cat w/plz-snapshots/abc.tar.gz && mc cat w/plz-inputs/abc.tar')).stdout).toBe('snapshot\nsnapshot\n');
    await mc('echo output > /tmp/o && mc cp -q /tmp/o w/mlflow/1/run/artifacts/output/o.txt && mc cat m/mlflow/1/run/artifacts/output/o.txt && mc cat r/mlflow/1/run/artifacts/output/o.txt');
    await expect(mc('mc rm w/plz-snapshots/abc.tar.gz')).rejects.toThrow(denied);
    await expect(mc('echo x > /tmp/x && mc cp -q /tmp/x r/mlflow/1/run/artifacts/x.txt')).rejects.toThrow(denied);
    await expect(mc('echo x > /tmp/x && mc cp -q /tmp/x w/plz-snapshots/new.tar.gz')).rejects.toThrow(denied);
    await expect(mc('mc cat m/plz-snapshots/abc.tar.gz')).rejects.toThrow(denied);
    expect((await mc('mc cat w/plz-snapshots/abc.tar.gz')).stdout).toBe('snapshot\n');
  }, 120_000);

  it('runs MinIO with the S3 API only: no console port, no console address on its command line', async () => {
    const tcp = await project.compose(['exec', '-T', 'minio', 'cat', '/proc/net/tcp', '/proc/net/tcp6']);
    expect(listeningPorts(tcp.stdout)).toEqual([9000]);
    expect((await project.compose(['exec', '-T', 'minio', 'printenv', 'MINIO_BROWSER'])).stdout.trim()).toBe('off');
    const id = (await project.compose(['ps', '-q', 'minio'])).stdout.trim();
    expect((await docker(['top', id, '-o', 'pid,args'])).stdout).not.toContain('console');
  }, 120_000);

  it('hands mc no secret key on its command line', async () => {
    // An mc first on PATH records every command line, then runs the real one.
    const recordArguments = `real=$(command -v mc)
mkdir -p /tmp/bin
cat >/tmp/bin/mc <<EOF
#!/bin/sh
printf '%s\\n' "\\$*" >>/tmp/argv
exec "$real" "\\$@"
EOF
chmod +x /tmp/bin/mc
PATH=/tmp/bin:$PATH sh /etc/plz/minio/setup.sh >/dev/null
cat /tmp/argv`;
    const argv = await project.compose(['run', '--rm', '-T', '--entrypoint', 'sh', 'minio-init', '-c', recordArguments]);
    expect(argv.stdout).toContain('admin user add plz plz-restapi\n');
    expect(argv.stdout).toContain('admin user add plz plz-mlflow\n');
    for (const key of ['RESTAPI_S3_SECRET_KEY', 'WORKER_S3_SECRET_KEY', 'MLFLOW_S3_SECRET_KEY', 'MINIO_ROOT_PASSWORD']) expect([key, argv.stdout.includes(env(key))]).toEqual([key, false]);
    expect((await mc('mc ls r/plz-snapshots')).stdout).toContain('abc.tar.gz');
  }, 120_000);

  it('starts Redis from its config file: no password on its command line, clients with the password only', async () => {
    await project.compose(['up', '-d', '--wait', 'redis']);
    const id = (await project.compose(['ps', '-q', 'redis'])).stdout.trim();
    const password = env('REDIS_PASSWORD');
    const top = (await docker(['top', id, '-o', 'pid,user,args'])).stdout;
    expect(top).toContain('redis-server');
    expect(top).not.toContain(password);
    expect((await docker(['inspect', '--format', '{{json .Path}} {{json .Args}}', id])).stdout).not.toContain(password);
    expect((await project.compose(['exec', '-T', 'redis', 'stat', '-c', '%a %U', '/etc/plz/redis.conf'])).stdout.trim()).toBe('444 root');
    expect((await project.compose(['exec', '-T', 'redis', 'redis-cli', 'ping'])).stdout.trim()).toBe('PONG');
    expect(await redis(`redis://:${password}@redis:6379/0`)).toBe('["appendonly","yes","maxmemory-policy","noeviction"]');
    expect(await redis('redis://redis:6379/0')).toMatch(/^error: NOAUTH/);
    expect(await redis(`redis://:wrong-${password}@redis:6379/0`)).toMatch(/^error: WRONGPASS/);
  }, 300_000);

  it('checks the extra CA certificates, refusing a file that is not one', async () => {
    const authorities = path.join(root, 'ssl', 'ca-certificates');
    const names = readdirSync(authorities).filter((entry) => entry.endsWith('.crt'));
    for (const name of names) copyFileSync(path.join(authorities, name), file(`ssl/ca-certificates/${name}`));
    writeFileSync(file('ssl/ca-certificates/not-a-certificate.crt'), 'hello\n');
    const refused = await init();
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('ssl/ca-certificates/not-a-certificate.crt is not a PEM certificate');
    rmSync(file('ssl/ca-certificates/not-a-certificate.crt'));
    const accepted = await init();
    expect(accepted.status).toBe(0);
    expect(accepted.stderr).toContain(names.length === 0 ? 'no extra CA certificates' : `${names.length} extra CA certificate(s)`);
  }, 300_000);

  it('refuses HTTPS without a certificate, or with a key of another certificate, saying why', async () => {
    const missing = await init('--enable-nginx-ssl');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('ssl/nginx/server.crt is missing');
    expect(missing.stderr).toContain('step 40-check-tls-certificates failed');
    await certificate('nginx');
    await certificate('db', 'other.key');
    await project.compose(['run', '--rm', '--no-deps', '-T', '-v', `${file('ssl')}:/ssl`, '--entrypoint', 'sh', 'init-tools', '-c', 'cp /ssl/db/other.key /ssl/nginx/wrong.key && cp /ssl/nginx/server.key /ssl/nginx/right.key && cp /ssl/db/other.key /ssl/nginx/server.key']);
    const mismatched = await init('--enable-nginx-ssl');
    expect(mismatched.status).not.toBe(0);
    expect(mismatched.stderr).toContain('server.key does not belong to server.crt');
    expect(env('PLZ_NGINX_SITE')).toBe('http');
  }, 300_000);

  it('turns HTTPS and PostgreSQL TLS on, keeps them on a plain re-run, and off on request', async () => {
    await project.compose(['run', '--rm', '--no-deps', '-T', '-v', `${file('ssl')}:/ssl`, '--entrypoint', 'sh', 'init-tools', '-c', 'cp /ssl/nginx/right.key /ssl/nginx/server.key && rm /ssl/nginx/*right.key /ssl/nginx/wrong.key']);
    await certificate('db');
    const enabled = await init('--enable-nginx-ssl', '--enable-postgres-ssl');
    expect(enabled.stderr).toContain('NGINX serves https');
    expect(enabled.status).toBe(0);
    expect([env('PLZ_NGINX_SITE'), env('PLZ_POSTGRES_SSL')]).toEqual(['https', 'on']);
    expect((await project.compose(['exec', '-T', 'db', 'psql', '-X', '-t', '-A', '-U', 'postgres', '-c', 'SHOW ssl'])).stdout.trim()).toBe('on');
    expect((await project.compose(['exec', '-T', 'db', 'stat', '-c', '%U %a', '/etc/plz/db-tls/server.key'])).stdout.trim()).toBe('postgres 600');
    const config = JSON.parse((await project.compose(['config', '--format', 'json'])).stdout) as { services: Record<string, { volumes: Array<{ source: string; target: string }> }> };
    expect(config.services['nginx']?.volumes.find((volume) => volume.target === '/etc/nginx/conf.d/default.conf')?.source).toBe(file('config/nginx/https.conf'));

    const again = await init();
    expect(again.status).toBe(0);
    expect([env('PLZ_NGINX_SITE'), env('PLZ_POSTGRES_SSL')]).toEqual(['https', 'on']);

    const disabled = await init('--disable-nginx-ssl', '--disable-postgres-ssl');
    expect(disabled.status).toBe(0);
    expect([env('PLZ_NGINX_SITE'), env('PLZ_POSTGRES_SSL')]).toEqual(['http', 'off']);
    expect((await project.compose(['exec', '-T', 'db', 'psql', '-X', '-t', '-A', '-U', 'postgres', '-c', 'SHOW ssl'])).stdout.trim()).toBe('off');
  }, 600_000);

  it('rotates the service secrets only when asked, applying them to PostgreSQL and MinIO', async () => {
    const token = env('PLZ_ADMIN_TOKEN');
    const before = Object.fromEntries(secretNames.map((key) => [key, env(key)]));
    const rotated = await init('--rotate-secrets');
    expect(rotated.status).toBe(0);
    for (const key of secretNames) expect([key, env(key)]).toEqual([key, expect.not.stringMatching(`^${before[key]}$`)]);
    expect(env('PLZ_ADMIN_TOKEN')).toBe(token);
    expect((await psql('worker', env('WORKER_DB_PASSWORD'), 'restapi', 'SELECT count(*) FROM executions')).stdout.trim()).toBe('1');
    expect((await mc('mc cat r/plz-snapshots/abc.tar.gz')).stdout).toBe('snapshot\n');
    // The old MinIO key no longer works.
    await expect(project.compose(['run', '--rm', '--no-deps', '-T', '--entrypoint', 'sh', '-e', `MC_HOST_o=http://plz-restapi:${before['RESTAPI_S3_SECRET_KEY'] ?? ''}@minio:9000`, 'minio-init', '-c', 'mc ls o/plz-snapshots'])).rejects.toThrow(/signature|Access Denied|does not exist|InvalidAccessKeyId/i);
    // up recreates Redis with the new password in its config file (its environment changed).
    await project.compose(['up', '-d', '--wait', 'redis']);
    expect(await redis(`redis://:${env('REDIS_PASSWORD')}@redis:6379/0`)).toBe('["appendonly","yes","maxmemory-policy","noeviction"]');
    expect(await redis(`redis://:${before['REDIS_PASSWORD'] ?? ''}@redis:6379/0`)).toMatch(/^error: WRONGPASS/);
  }, 300_000);
});

describe('init-deployment.sh on a deployment published on a network address', () => {
  let base = '';
  let directory = '';
  const name = `plz-e2e-init-net-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'plz-e2e-init-net-'));
    directory = path.join(base, 'deployment');
    await generate(directory, ['--name', name, '--bind-address', '0.0.0.0', '--https', '--http-port', '0', '--https-port', '0']);
  }, 300_000);
  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('refuses --disable-nginx-ssl, saying why, before starting anything', async () => {
    const refused = await run('bash', ['init-deployment.sh', '--disable-nginx-ssl'], { cwd: directory, env: dockerEnv(), timeout: 300_000 }).then(
      () => ({ status: 0, stderr: '' }),
      (error: Error & { code?: number; stderr?: string }) => ({ status: error.code ?? 1, stderr: error.stderr ?? error.message }),
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('refusing --disable-nginx-ssl: NGINX publishes its ports on 0.0.0.0, which is not loopback: without HTTPS, API tokens and browser session cookies would cross the network in clear text');
    expect(refused.stderr).toContain('step 40-check-tls-certificates failed');
    expect(readFileSync(path.join(directory, '.env'), 'utf8')).not.toMatch(/^PLZ_NGINX_SITE=/m);
    const containers = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${name}`]);
    expect(containers.stdout.trim()).toBe('');
  }, 300_000);
});

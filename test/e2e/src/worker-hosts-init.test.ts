import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { ComposeProject, dockerEnv } from './docker.js';
import { generateDeployment as generate } from './generate.js';

/**
 * The controller side of worker hosts (yo plz-deploy --worker-hosts, ./init-deployment.sh
 * --worker-host-bundle / --revoke-worker-host), tried for real from this machine's loopback, where
 * the ports are published, as a worker host would: Redis over TLS with the bundle's ACL user (a
 * BullMQ round trip under plz:bull), PostgreSQL over TLS with the bundle's role, MinIO's S3 API and
 * MLflow's REST API through NGINX over HTTPS. Plain text and other credentials are refused, and
 * revoking the host refuses everything at once and ends its open connections. The plz images are
 * not needed: the REST API and the workers are not started.
 */
const run = promisify(execFile);
const slug = `plz-e2e-hosts-${randomBytes(3).toString('hex')}`;

/** The join bundle's shape (scripts/init/85-sync-worker-hosts.sh). */
const Bundle = z.object({
  kind: z.literal('plz-worker-host-bundle'),
  version: z.literal(1),
  deployment: z.string(),
  workerHost: z.string(),
  serverName: z.string(),
  redis: z.object({ url: z.string() }),
  postgres: z.object({ url: z.string() }),
  s3: z.object({ endpoint: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() }),
  mlflow: z.object({ url: z.string(), username: z.string(), password: z.string() }),
  queue: z.object({ fairShareWindowHours: z.number(), fairShareQuantumSeconds: z.number(), maxRunningPerUser: z.number(), highPriorityAllowance: z.number() }).strict(),
  caCertificate: z.string(),
}).strict();
type Bundle = z.infer<typeof Bundle>;

/** A worker's heartbeat hash (@plz/contracts keys.ts workerKey). */
const workerKey = (workerId: string): string => `plz:workers:${workerId}`;

/** A TCP port free on 127.0.0.1 right now. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

/** Runs `fn` and returns the message it failed with ('' when it succeeded). */
const failure = async (fn: () => Promise<unknown>): Promise<string> => fn().then(() => '', (error: Error) => `${error.message} ${(error as { code?: string }).code ?? ''}`);

describe('worker hosts on the controller', () => {
  let base = '';
  let directory = '';
  let project: ComposeProject;
  let bundle: Bundle;
  const file = (name: string): string => path.join(directory, name);
  const mode = (name: string): string => (statSync(file(name)).mode & 0o777).toString(8);
  const init = async (...flags: string[]): Promise<{ status: number; stderr: string }> =>
    run('bash', ['init-deployment.sh', ...flags], { cwd: directory, env: dockerEnv(), timeout: 600_000 }).then(
      ({ stderr }) => ({ status: 0, stderr }),
      (error: Error & { code?: number; stderr?: string }) => ({ status: error.code ?? 1, stderr: error.stderr ?? error.message }),
    );
  const env = (key: string): string => new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(file('.env'), 'utf8'))?.[1] ?? '';

  const redis = (url: string, options: { ca?: string | false } = {}): Redis =>
    new Redis(url, {
      tls: options.ca === false ? undefined : { ca: options.ca ?? bundle.caCertificate },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 5_000,
    });
  /** Connects, runs `fn`, disconnects; rejects with the connection's or the command's error. */
  const withRedis = async <T>(client: Redis, fn: (client: Redis) => Promise<T>): Promise<T> => {
    const errors: Error[] = [];
    client.on('error', (error: Error) => errors.push(error));
    try {
      await client.connect();
      return await fn(client);
    } catch (error) {
      throw errors[0] ?? error;
    } finally {
      client.disconnect();
    }
  };
  const postgres = (url: string, ssl: pg.ClientConfig['ssl']): pg.Client => new pg.Client({ connectionString: url, ssl, connectionTimeoutMillis: 5_000 });
  const withPostgres = async <T>(client: pg.Client, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const s3 = (secretAccessKey = bundle.s3.secretAccessKey): S3Client =>
    new S3Client({
      endpoint: bundle.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: bundle.s3.accessKeyId, secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: bundle.caCertificate }) }),
      maxAttempts: 1,
    });
  /** GET on MLflow's worker-hosts site over HTTPS (the bundle's CA), with Basic credentials when given: status and body. */
  const mlflow = (pathname: string, credentials?: { username: string; password: string }): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${bundle.mlflow.url.replace(/\/mlflow$/, '')}${pathname}`);
      const headers: Record<string, string> = credentials ? { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : {};
      const req = request(url, { ca: bundle.caCertificate, headers, agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const bundleCredentials = () => ({ username: bundle.mlflow.username, password: bundle.mlflow.password });
  /** Sends `bytes` over plain TCP to 127.0.0.1:port and returns what comes back before the server closes (or 3 s pass). */
  const plainText = (port: number, bytes: Buffer): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      const done = () => resolve(answer);
      socket.setTimeout(3_000, () => socket.destroy());
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('close', done);
      socket.on('error', () => undefined);
      socket.write(bytes);
    });

  const ports = { redis: 0, postgres: 0, s3: 0, mlflow: 0 };
  let first = { status: 0, stderr: '' };
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'plz-e2e-hosts-'));
    directory = path.join(base, 'deployment');
    project = new ComposeProject(path.join(directory, 'docker-compose.yml'), slug, {});
    for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
    await generate(directory, [
      '--name', slug, '--http-port', '0', '--https-port', '0', '--cpu-workers', '1', '--max-running-per-user', '3', '--worker-hosts', '--worker-hosts-address', '127.0.0.1',
      '--worker-hosts-redis-port', String(ports.redis), '--worker-hosts-postgres-port', String(ports.postgres),
      '--worker-hosts-minio-port', String(ports.s3), '--worker-hosts-mlflow-port', String(ports.mlflow),
    ]);
    first = await init('--worker-host-bundle', 'h1');
    if (first.status !== 0) throw new Error(`init failed:\n${first.stderr}`);
    bundle = Bundle.parse(JSON.parse(readFileSync(file('worker-hosts/h1.bundle'), 'utf8')));
    // The services worker hosts reach; NGINX without the REST API (its routes resolve per request).
    await project.withDiagnostics(async () => {
      await project.compose(['up', '-d', '--wait', 'db', 'redis', 'minio', 'mlflow']);
      await project.compose(['up', '-d', '--wait', '--no-deps', 'nginx']);
    });
  }, 900_000);

  afterAll(async () => {
    await project?.compose(['--profile', 'init', 'down', '-v', '--remove-orphans']).catch(() => undefined);
    if (base) rmSync(base, { recursive: true, force: true });
  }, 180_000);

  it('writes a join bundle (mode 0600) with the endpoints, its own credentials and the CA certificate; secrets never in the log', () => {
    expect(first.stderr).toContain('-- 47-create-worker-hosts-certificates');
    expect(first.stderr).toContain('worker host h1: wrote its join bundle worker-hosts/h1.bundle');
    expect(mode('worker-hosts/h1.bundle')).toBe('600');
    expect(mode('secrets/worker-hosts/h1.env')).toBe('600');
    expect(mode('secrets/worker-hosts-ca.key')).toBe('600');
    expect(bundle.workerHost).toBe('h1');
    expect(bundle.redis.url).toMatch(new RegExp(`^rediss://plz-host-h1:[A-Za-z0-9]{43}@localhost:${ports.redis}/0$`));
    expect(bundle.postgres.url).toMatch(new RegExp(`^postgres://plz-host-h1:[A-Za-z0-9]{43}@localhost:${ports.postgres}/restapi\\?sslmode=verify-full$`));
    expect(bundle.s3).toEqual({ endpoint: `https://localhost:${ports.s3}`, accessKeyId: 'plz-host-h1', secretAccessKey: expect.stringMatching(/^[A-Za-z0-9]{43}$/) });
    expect(bundle.mlflow).toEqual({ url: `https://localhost:${ports.mlflow}/mlflow`, username: 'plz-host-h1', password: expect.stringMatching(/^[A-Za-z0-9]{43}$/) });
    expect(bundle.caCertificate).toBe(readFileSync(file('ssl/worker-hosts/ca.crt'), 'utf8'));
    // The controller's queue rules (envs/queue.env), which every worker host must share.
    expect(bundle.queue).toEqual({ fairShareWindowHours: 24, fairShareQuantumSeconds: 60, maxRunningPerUser: 3, highPriorityAllowance: 0 });
    const secrets = readFileSync(file('secrets/worker-hosts/h1.env'), 'utf8').match(/=[A-Za-z0-9]{43}$/gm) ?? [];
    expect(secrets).toHaveLength(4);
    for (const secret of secrets) expect(first.stderr).not.toContain(secret.slice(1));
  });

  it('publishes only the TLS ports on the worker-hosts address, never Redis\'s plain port', async () => {
    const published = (await project.compose(['ps', '--format', '{{.Service}} {{.Ports}}'])).stdout;
    expect(published).toMatch(new RegExp(`redis .*127\\.0\\.0\\.1:${ports.redis}->6380/tcp`));
    expect(published).not.toMatch(/->6379\/tcp/);
    expect(published).toMatch(new RegExp(`db .*127\\.0\\.0\\.1:${ports.postgres}->5432/tcp`));
    expect(published).toMatch(new RegExp(`nginx .*127\\.0\\.0\\.1:${ports.s3}->9443/tcp`));
  }, 60_000);

  it('Redis: TLS with the bundle\'s user runs a BullMQ round trip under plz:*; plain text, other CAs, other keys and administration are refused', async () => {
    const connection = redis(bundle.redis.url);
    connection.on('error', () => undefined);
    const options = { connection, prefix: 'plz:bull' };
    const queue = new Queue('worker-hosts-probe', options);
    const consumer = new Worker('worker-hosts-probe', async (job) => `done ${String(job.data.n)}`, { ...options, connection: redis(bundle.redis.url).on('error', () => undefined) as Redis });
    try {
      const finished = new Promise<string>((resolve) => consumer.on('completed', (_job, result: string) => resolve(result)));
      await queue.add('execution', { n: 7 });
      expect(await finished).toBe('done 7');
    } finally {
      await consumer.close();
      await queue.close();
    }
    expect(await withRedis(redis(bundle.redis.url), async (c) => [await c.set('plz:workers:h1', 'x', 'EX', 60), await c.publish('plz:stop', 'x')])).toEqual(['OK', 0]);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.get('other:key')))).toMatch(/NOPERM/);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.flushall()))).toMatch(/NOPERM/);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.config('GET', 'requirepass')))).toMatch(/NOPERM/);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.keys('*')))).toMatch(/NOPERM/);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.call('ACL', 'LIST')))).toMatch(/NOPERM/);
    expect(await failure(() => withRedis(redis(bundle.redis.url.replace(/:[A-Za-z0-9]{43}@/, ':wrong@')), (c) => c.ping()))).toMatch(/WRONGPASS/);
    // The controller's own password is for the internal plain port: not a user of the TLS port's worker hosts.
    expect(await failure(() => withRedis(redis(`rediss://plz-host-h1:${env('REDIS_PASSWORD')}@localhost:${ports.redis}/0`), (c) => c.ping()))).toMatch(/WRONGPASS/);
    expect(await failure(() => withRedis(redis(bundle.redis.url, { ca: readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') }), (c) => c.ping()))).toMatch(/certificate/i);
    // Plain text on the TLS port: Redis answers no command.
    expect(await failure(() => withRedis(redis(bundle.redis.url.replace('rediss://', 'redis://'), { ca: false }), (c) => c.ping()))).not.toBe('');
    expect(await plainText(ports.redis, Buffer.from(`AUTH plz-host-h1 x\r\nPING\r\n`))).not.toContain('PONG');
  }, 120_000);

  it('PostgreSQL: TLS with the bundle\'s role has the worker\'s privileges on restapi only; plain text and other databases are refused', async () => {
    await project.compose(['exec', '-T', 'db', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'postgres', '-d', 'restapi', '-c',
      "SET ROLE restapi; CREATE TABLE executions (id int PRIMARY KEY, state text); INSERT INTO executions VALUES (1, 'queued'); CREATE TABLE tokens (id int, secret text); INSERT INTO tokens VALUES (1, 'hidden')"]);
    const ssl = { ca: bundle.caCertificate, rejectUnauthorized: true };
    const url = bundle.postgres.url.replace('?sslmode=verify-full', '');
    expect(await withPostgres(postgres(url, ssl), async (c) => (await c.query("UPDATE executions SET state = 'running' WHERE id = 1 RETURNING current_user, state")).rows)).toEqual([{ current_user: 'plz-host-h1', state: 'running' }]);
    expect(await withPostgres(postgres(url, ssl), async (c) => (await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows)).toEqual([{ ssl: true }]);
    expect(await failure(() => withPostgres(postgres(url, ssl), (c) => c.query('SELECT * FROM tokens')))).toMatch(/permission denied for table tokens/);
    expect(await failure(() => withPostgres(postgres(url, ssl), (c) => c.query('DELETE FROM executions')))).toMatch(/permission denied for table executions/);
    expect(await failure(() => withPostgres(postgres(url.replace('/restapi', '/mlflow'), ssl), (c) => c.query('SELECT 1')))).toMatch(/no pg_hba.conf entry|rejects connection/);
    expect(await failure(() => withPostgres(postgres(url.replace('/restapi', '/postgres'), ssl), (c) => c.query('SELECT 1')))).toMatch(/no pg_hba.conf entry|rejects connection/);
    expect(await failure(() => withPostgres(postgres(url, false), (c) => c.query('SELECT 1')))).toMatch(/no encryption|rejects connection/);
    expect(await failure(() => withPostgres(postgres(`${url}?sslmode=disable`, undefined), (c) => c.query('SELECT 1')))).toMatch(/no encryption|rejects connection/);
    // verify-full: another CA's trust store does not accept the controller's certificate.
    expect(await failure(() => withPostgres(postgres(url, { ca: readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') }), (c) => c.query('SELECT 1')))).toMatch(/certificate/i);
  }, 120_000);

  it('S3 through NGINX over HTTPS: the bundle\'s MinIO account has the worker\'s policy; another key is refused', async () => {
    await project.compose(['run', '--rm', '--no-deps', '-T', '--entrypoint', 'sh', '-e', `MC_HOST_r=http://plz-restapi:${env('RESTAPI_S3_SECRET_KEY')}@minio:9000`, 'minio-init', '-c',
      'echo snapshot > /tmp/s && mc cp -q /tmp/s r/plz-snapshots/abc.tar.gz']);
    const read = await s3().send(new GetObjectCommand({ Bucket: 'plz-snapshots', Key: 'abc.tar.gz' }));
    expect(await read.Body?.transformToString()).toBe('snapshot\n');
    await s3().send(new PutObjectCommand({ Bucket: 'mlflow', Key: '1/run/artifacts/output.txt', Body: 'output' }));
    expect(await failure(() => s3().send(new DeleteObjectCommand({ Bucket: 'plz-snapshots', Key: 'abc.tar.gz' })))).toMatch(/Access Denied/i);
    expect(await failure(() => s3().send(new PutObjectCommand({ Bucket: 'plz-inputs', Key: 'x.tar', Body: 'x' })))).toMatch(/Access Denied/i);
    expect(await failure(() => s3('wrong').send(new GetObjectCommand({ Bucket: 'plz-snapshots', Key: 'abc.tar.gz' })))).toMatch(/signature/i);
    // Plain HTTP on the HTTPS port is answered with an error, never proxied.
    expect(await plainText(ports.s3, Buffer.from('GET /plz-snapshots/abc.tar.gz HTTP/1.0\r\n\r\n'))).toMatch(/400 Bad Request[\s\S]*plain HTTP request was sent to HTTPS port/);
  }, 120_000);

  it('MLflow through NGINX over HTTPS: its REST API with the bundle\'s user only; nothing else is served', async () => {
    const search = '/mlflow/api/2.0/mlflow/experiments/search?max_results=1';
    const ok = await mlflow(search, bundleCredentials());
    expect([ok.status, ok.body]).toEqual([200, expect.stringContaining('experiments')]);
    expect((await mlflow(search)).status).toBe(401);
    expect((await mlflow(search, { username: 'plz-host-h1', password: 'wrong' })).status).toBe(401);
    expect((await mlflow(search, { username: 'plz-admin', password: env('PLZ_ADMIN_TOKEN') })).status).toBe(401);
    expect((await mlflow('/mlflow/', bundleCredentials())).status).toBe(404);
    expect((await mlflow('/api/v1/executions', bundleCredentials())).status).toBe(404);
  }, 120_000);

  it('keeps a worker host\'s Redis user across a restart of Redis (redis-users.acl)', async () => {
    await project.compose(['restart', 'redis']);
    await project.compose(['up', '-d', '--wait', 'redis']);
    expect(await withRedis(redis(bundle.redis.url), (c) => c.ping())).toBe('PONG');
  }, 120_000);

  it('revokes a worker host at once: its open Redis and PostgreSQL connections end, every credential is refused; another host goes on', async () => {
    expect((await init('--worker-host-bundle', 'h2')).status).toBe(0);
    const other = Bundle.parse(JSON.parse(readFileSync(file('worker-hosts/h2.bundle'), 'utf8')));
    expect(other.redis.url).not.toBe(bundle.redis.url);

    const open = redis(bundle.redis.url);
    const closed = new Promise<void>((resolve) => open.on('end', () => resolve()));
    open.on('error', () => undefined);
    await open.connect();
    expect(await open.ping()).toBe('PONG');
    // Heartbeats as each host's workers write them (hostname = WORKER_HOST), each with its own user.
    await open.hset(workerKey('h1-cpu-0'), { worker_id: 'h1-cpu-0', queue: 'cpu', hostname: 'h1', heartbeat_at: new Date().toISOString() });
    await withRedis(redis(other.redis.url), (c) => c.hset(workerKey('h2-cpu-0'), { worker_id: 'h2-cpu-0', queue: 'cpu', hostname: 'h2', heartbeat_at: new Date().toISOString() }));
    const session = postgres(bundle.postgres.url.replace('?sslmode=verify-full', ''), { ca: bundle.caCertificate });
    session.on('error', () => undefined);
    await session.connect();
    expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    const revoked = await init('--revoke-worker-host', 'h1');
    expect(revoked.stderr).toContain('worker host h1: credentials deleted');
    expect(revoked.stderr).toContain('Redis: deleted user plz-host-h1, closing its connections');
    expect(revoked.stderr).toContain('Redis: removed the heartbeats of 1 worker(s) of h1');
    expect(revoked.status).toBe(0);
    // Its workers leave plz workers at once; the other host's stay.
    expect(await withRedis(redis(other.redis.url), async (c) => [await c.exists(workerKey('h1-cpu-0')), await c.exists(workerKey('h2-cpu-0'))])).toEqual([0, 1]);
    await closed;
    expect(await failure(() => session.query('SELECT 1'))).not.toBe('');
    await session.end().catch(() => undefined);
    expect(existsSync(file('worker-hosts/h1.bundle'))).toBe(false);
    expect(existsSync(file('secrets/worker-hosts/h1.env'))).toBe(false);

    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.ping()))).toMatch(/WRONGPASS/);
    expect(await failure(() => withPostgres(postgres(bundle.postgres.url.replace('?sslmode=verify-full', ''), { ca: bundle.caCertificate }), (c) => c.query('SELECT 1')))).toMatch(/password authentication failed/);
    expect(await failure(() => s3().send(new GetObjectCommand({ Bucket: 'plz-snapshots', Key: 'abc.tar.gz' })))).toMatch(/access key|InvalidAccessKeyId/i);
    expect((await mlflow('/mlflow/api/2.0/mlflow/experiments/search?max_results=1', bundleCredentials())).status).toBe(401);

    // The other worker host keeps working.
    expect(await withRedis(redis(other.redis.url), (c) => c.ping())).toBe('PONG');
    expect((await mlflow('/mlflow/api/2.0/mlflow/experiments/search?max_results=1', { username: other.mlflow.username, password: other.mlflow.password })).status).toBe(200);
    // And Redis does not bring the revoked user back when it restarts.
    await project.compose(['restart', 'redis']);
    await project.compose(['up', '-d', '--wait', 'redis']);
    expect(await failure(() => withRedis(redis(bundle.redis.url), (c) => c.ping()))).toMatch(/WRONGPASS/);
    expect(await withRedis(redis(other.redis.url), (c) => c.ping())).toBe('PONG');
  }, 900_000);

  it('changes nothing on a plain re-run, and refuses to turn PostgreSQL\'s TLS off', async () => {
    const before = readFileSync(file('ssl/worker-hosts/server.crt'), 'utf8');
    expect((await init()).status).toBe(0);
    expect(readFileSync(file('ssl/worker-hosts/server.crt'), 'utf8')).toBe(before);
    const refused = await init('--disable-postgres-ssl');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('refusing --disable-postgres-ssl: worker hosts reach PostgreSQL over TLS only');
  }, 600_000);
});

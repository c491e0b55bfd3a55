import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ComposeProject, docker } from './docker.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const versions = Object.fromEntries(
  readFileSync(`${root}tools/versions.env`, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]),
);
const image = (key: string): string => {
  const tag = versions[key];
  if (!tag) throw new Error(`tools/versions.env has no ${key}`);
  return tag;
};

describe('stand-in images', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['IMAGE_DEBIAN', ['cat', '/etc/debian_version'], /^12\./],
    ['IMAGE_POSTGRES', ['postgres', '--version'], /^postgres \(PostgreSQL\) 15\./],
    ['IMAGE_REDIS', ['redis-server', '--version'], /^Redis server v=7\.0\./],
    ['IMAGE_NGINX', ['nginx', '-v'], /nginx\/1\.22\.1/],
    ['IMAGE_NODE', ['node', '--version'], /^v24\./],
    ['IMAGE_PYTHON', ['python', '-c', 'import sys, pip; print(sys.version)'], /^3\.11\./],
    ['IMAGE_MINIO', ['--version'], /^minio version v0\.0\.0-/],
    ['IMAGE_MC', ['--version'], /^mc version v0\.0\.0-/],
  ];
  it.each(cases)('%s answers like upstream', async (key, args, expected) => {
    const { stdout, stderr } = await docker(['run', '--rm', image(key), ...args]);
    expect(`${stdout}${stderr}`.trim()).toMatch(expected);
  }, 60_000);

  it('node runs npm, and python installs with pip system-wide like upstream', async () => {
    expect((await docker(['run', '--rm', image('IMAGE_NODE'), 'npm', '--version'])).stdout).toMatch(/^11\./);
    const marker = await docker(['run', '--rm', image('IMAGE_PYTHON'), 'sh', '-c', 'ls /usr/lib/python3.*/EXTERNALLY-MANAGED 2>/dev/null | wc -l']);
    expect(marker.stdout.trim()).toBe('0');
  }, 60_000);

  it('postgres honours POSTGRES_* variables and runs /docker-entrypoint-initdb.d once', async () => {
    const name = `plz-e2e-pg-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const script = "CREATE TABLE greeting (text text); INSERT INTO greeting VALUES ('hello');";
    await docker(['run', '-d', '--name', name, '-e', `POSTGRES_PASSWORD=${password}`, '-e', 'POSTGRES_USER=alice', '-e', 'POSTGRES_DB=app',
      '--entrypoint', 'sh', image('IMAGE_POSTGRES'), '-c', `echo "${script}" > /docker-entrypoint-initdb.d/init.sql && exec docker-entrypoint.sh postgres`]);
    try {
      let answer = '';
      for (let i = 0; i < 120 && answer !== 'hello'; i++) {
        answer = await docker(['exec', '-e', `PGPASSWORD=${password}`, name, 'psql', '-h', '127.0.0.1', '-U', 'alice', '-d', 'app', '-tAc', 'SELECT text FROM greeting'])
          .then((r) => r.stdout.trim())
          .catch(() => '');
        if (answer !== 'hello') await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(answer).toBe('hello');
      // As upstream, loopback inside the container is trusted; any other address needs the password.
      const wrong = docker(['exec', '-e', 'PGPASSWORD=wrong', name, 'sh', '-c', 'psql -h "$(hostname -i)" -U alice -d app -tAc "SELECT 1"']);
      await expect(wrong).rejects.toThrow(/password authentication failed/);
    } finally {
      await docker(['rm', '-f', '-v', name]);
    }
  }, 120_000);
});

describe('infrastructure compose project on the stand-ins', () => {
  const project = new ComposeProject(`${root}test/e2e/fixtures/infrastructure/compose.yml`, `plz-e2e-infra-${randomBytes(3).toString('hex')}`, {
    POSTGRES_PASSWORD: randomBytes(18).toString('hex'),
    REDIS_PASSWORD: randomBytes(18).toString('hex'),
    MINIO_ROOT_USER: `root-${randomBytes(4).toString('hex')}`,
    MINIO_ROOT_PASSWORD: randomBytes(18).toString('hex'),
  });
  let base = '';

  beforeAll(async () => {
    await project.withDiagnostics(async () => {
      await project.compose(['up', '-d', '--wait', '--build']);
      base = `http://${(await project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
    });
  }, 900_000);

  afterAll(async () => {
    await project.compose(['down', '-v', '--remove-orphans']).catch(() => undefined);
  }, 120_000);

  it('comes up with every long-running service healthy', async () => {
    const { stdout } = await project.compose(['ps', '--format', '{{.Service}} {{.Health}}']);
    expect(stdout.trim().split('\n').sort()).toEqual(['db healthy', 'minio healthy', 'mlflow healthy', 'nginx healthy', 'redis healthy']);
  }, 60_000);

  it('serves MLflow through NGINX, storing runs in PostgreSQL and artifacts in MinIO', async () => {
    await project.withDiagnostics(async () => {
      const api = `${base}/mlflow/api/2.0/mlflow`;
      const created = await fetch(`${api}/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'e2e-infrastructure' }),
      });
      expect(created.status).toBe(200);
      const { experiment_id } = (await created.json()) as { experiment_id: string };
      const run = (await (await fetch(`${api}/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_id }) })).json()) as {
        run: { info: { run_id: string; artifact_uri: string } };
      };
      const artifactPath = `${run.run.info.artifact_uri.replace(/^mlflow-artifacts:/, '')}/hello.txt`;
      const put = await fetch(`${base}/mlflow/api/2.0/mlflow-artifacts/artifacts${artifactPath}`, { method: 'PUT', body: 'hello' });
      expect(put.status).toBe(200);
      const listed = await project.compose(['exec', '-T', 'minio', 'sh', '-c', 'mc alias set me http://127.0.0.1:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc ls --recursive me/mlflow']);
      expect(listed.stdout).toContain('hello.txt');
      expect((await fetch(`${base}/mlflow/`)).headers.get('content-type')).toMatch(/text\/html/);
    });
  }, 120_000);

  it('keeps Redis behind its password', async () => {
    const denied = await project.compose(['exec', '-T', '-e', 'REDISCLI_AUTH=', 'redis', 'redis-cli', 'get', 'x']);
    expect(denied.stdout).toMatch(/NOAUTH/);
    expect((await project.compose(['exec', '-T', 'redis', 'redis-cli', 'ping'])).stdout.trim()).toBe('PONG');
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ComposeProject, dockerEnv } from './docker.js';
import { generateDeployment as generate } from './generate.js';
import { plzFlow } from './plz-flow.js';

/**
 * The whole thing for real: `yo plz-deploy` with two CPU workers, `./init-deployment.sh`,
 * `docker compose up -d --wait` (building the plz images from the copied sources), every service
 * healthy and reachable through NGINX, init again on the running deployment, `down -v`.
 * It needs the REST API and worker images: without their Dockerfiles it is skipped, saying so.
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const missing = ['services/restapi/Dockerfile', 'services/worker/Dockerfile'].filter((file) => !existsSync(path.join(root, file)));
const reason = `skipped: ${missing.join(' and ')} missing, so the plz images cannot be built`;
if (missing.length > 0) process.stderr.write(`deployment-stack.test.ts: ${reason}\n`);


(missing.length > 0 ? describe.skip : describe)(`a generated deployment on the stand-in images${missing.length > 0 ? ` (${reason})` : ''}`, () => {
  const slug = `plz-e2e-stack-${randomBytes(3).toString('hex')}`;
  let base = '';
  let directory = '';
  let project: ComposeProject;
  const init = () => run('bash', ['init-deployment.sh'], { cwd: directory, env: dockerEnv(), timeout: 600_000 });
  let url = '';
  let datasets = '';

  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'plz-e2e-stack-'));
    directory = path.join(base, 'deployment');
    project = new ComposeProject(path.join(directory, 'docker-compose.yml'), slug, {});
    // A datasets folder, as the operator's answer: jobs must see it read-only at /datasets.
    datasets = path.join(base, 'datasets');
    mkdirSync(path.join(datasets, 'digits'), { recursive: true });
    writeFileSync(path.join(datasets, 'digits', 'labels.csv'), 'id,label\n1,7\n');
    chmodSync(base, 0o755);
    await generate(directory, ['--name', slug, '--cpu-workers', '2', '--http-port', '0', '--https-port', '0', '--datasets-directory', datasets]);
    // As an operator behind a TLS-re-signing proxy would: the machine's extra CAs, for npm in the image builds.
    const authorities = path.join(root, 'ssl', 'ca-certificates');
    for (const name of readdirSync(authorities).filter((entry) => entry.endsWith('.crt'))) {
      copyFileSync(path.join(authorities, name), path.join(directory, 'ssl', 'ca-certificates', name));
    }
    await init();
    await project.withDiagnostics(async () => {
      await project.compose(['up', '-d', '--wait', '--build'], 1_500_000);
      url = `http://${(await project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
    });
  }, 1_800_000);

  afterAll(async () => {
    await project?.compose(['--profile', 'init', 'down', '-v', '--remove-orphans']).catch(() => undefined);
    if (base) rmSync(base, { recursive: true, force: true });
  }, 300_000);

  const expectAllHealthy = async (): Promise<void> => {
    const { stdout } = await project.compose(['ps', '--all', '--format', '{{.Service}} {{.State}} {{.Health}}']);
    expect(stdout.trim().split('\n').sort()).toEqual(
      ['db', 'minio', 'mlflow', 'nginx', 'redis', 'restapi', 'worker-cpu-0', 'worker-cpu-1'].map((service) => `${service} running healthy`),
    );
  };

  it('brings every service up healthy', async () => {
    await project.withDiagnostics(expectAllHealthy);
  });

  it('answers through NGINX: the MLflow UI, and the REST API behind its token, with both workers live', async () => {
    await project.withDiagnostics(async () => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const mlflow = await fetch(`${url}/mlflow/`);
      expect([mlflow.status, mlflow.headers.get('content-type')]).toEqual([200, expect.stringMatching(/text\/html/)]);
      const token = readFileSync(path.join(directory, 'secrets', 'admin-token'), 'utf8').trim();
      const headers = { authorization: `Bearer ${token}` };
      expect((await fetch(`${url}/api/v1/me`)).status).toBe(401);
      expect((await fetch(`${url}/api/v1/me`, { headers })).status).toBe(200);
      const workers = await fetch(`${url}/api/v1/workers`, { headers });
      expect(workers.status).toBe(200);
      const live = await workers.text();
      expect(live).toContain(`${slug}-worker-cpu-0`);
      expect(live).toContain(`${slug}-worker-cpu-1`);
    });
  });

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

  it('takes ./init-deployment.sh again while running, and stays healthy', async () => {
    await project.withDiagnostics(async () => {
      await init();
      await project.compose(['up', '-d', '--wait'], 600_000);
      await expectAllHealthy();
    });
  }, 900_000);
});

import { expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import type { ComposeProject } from './docker.js';
import { dockerBinary, dockerEnv } from './docker.js';
import { generateDeployment } from './generate.js';
import { runCommand, type Result } from './plz-cli.js';

/** What the backup flow needs from the running deployment, and how it hands over the restored one. */
export interface BackupContext {
  url: string;
  token: string;
  project: ComposeProject;
  /** The deployment folder. */
  directory: string;
  /** A folder of this test run for the backup and the restored deployment (removed at the end). */
  base: string;
  /** The flags the deployment was generated with: the restored folder is generated with the same. */
  generateFlags: string[];
  /** Makes the restored folder the test's deployment for the tests after this flow; resolves with its URL. */
  adopt(directory: string): Promise<string>;
}

const terminal = new Set(['succeeded', 'failed', 'stopped', 'error']);

interface Execution {
  id: string;
  project: string;
  state: string;
  mlflow_experiment_id: string | null;
  mlflow_run_id: string | null;
}

/** `name sha256` of every file of a tar archive (ustar and pax names), sorted: outputs compared by content, not by the times in the archive. */
function tarFiles(tar: Buffer): string[] {
  const files: string[] = [];
  let paxPath: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      paxPath = /\d+ path=(.*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      const prefix = text(345, 155);
      const name = paxPath ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
      if (type === '0' || type === '') files.push(`${name} ${createHash('sha256').update(body).digest('hex')}`);
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files.sort();
}

/**
 * Everything a user sees of the deployment's results, through NGINX: every execution (ids and
 * states), and of every ended one its record, stored log, output files (names and sha256), measures; the
 * history of every project; every MLflow experiment and run (params, metrics, tags, artifact
 * locations).
 */
async function results(url: string, token: string): Promise<Record<string, unknown>> {
  const headers = { authorization: `Bearer ${token}` };
  const get = async (apiPath: string): Promise<Response> => {
    const response = await fetch(`${url}${apiPath}`, { headers });
    if (response.status >= 500) throw new Error(`GET ${apiPath}: ${response.status} ${await response.text()}`);
    return response;
  };
  const json = async (apiPath: string): Promise<unknown> => {
    const response = await get(apiPath);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const mlflowArtifacts = async (runId: string, artifactPath: string): Promise<unknown[]> => {
    const response = await get(`/mlflow/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${artifactPath}`);
    return response.status === 200 ? (((await response.json()) as { files?: unknown[] }).files ?? []) : [];
  };
  const executions: Execution[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page = (await (await get(`/api/v1/executions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as { executions: Execution[]; next_cursor: string | null };
    executions.push(...page.executions);
    cursor = page.next_cursor;
  }
  const state: Record<string, unknown> = { executions: executions.map((execution) => `${execution.id} ${execution.state}`).sort() };
  for (const execution of executions.filter((candidate) => terminal.has(candidate.state))) {
    const output = await get(`/api/v1/executions/${execution.id}/output`);
    // The log is stored (an MLflow artifact) once the worker harvested the execution; one stopped
    // before it started has only the live log in Redis (a few lines of plz's own, expiring a day
    // after the end), which no backup holds (DEPLOYMENT.md says so).
    const storedLog = execution.mlflow_run_id !== null && (await mlflowArtifacts(execution.mlflow_run_id, 'logs')).length > 0;
    state[execution.id] = {
      record: await json(`/api/v1/executions/${execution.id}`),
      log: storedLog ? await (await get(`/api/v1/executions/${execution.id}/logs`)).text() : 'not stored: live only',
      output: output.status === 200 ? tarFiles(Buffer.from(await output.arrayBuffer())) : { status: output.status, body: await output.text() },
      measures: await json(`/api/v1/executions/${execution.id}/measures`),
    };
  }
  for (const project of [...new Set(executions.map((execution) => execution.project))].sort()) {
    state[`history ${project}`] = await json(`/api/v1/history?project=${encodeURIComponent(project)}`);
  }
  const mlflow = async (apiPath: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url}/mlflow/api/2.0/mlflow/${apiPath}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`MLflow ${apiPath}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const experiments = ((await mlflow('experiments/search', { max_results: 1000 }))['experiments'] ?? []) as Array<{ experiment_id: string }>;
  state['mlflow experiments'] = experiments;
  const runs: unknown[] = [];
  for (let token: string | undefined = ''; token !== undefined; ) {
    const page = await mlflow('runs/search', { experiment_ids: experiments.map((experiment) => experiment.experiment_id), max_results: 1000, order_by: ['attributes.start_time ASC'], ...(token ? { page_token: token } : {}) });
    runs.push(...((page['runs'] ?? []) as unknown[]));
    token = page['next_page_token'] as string | undefined;
  }
  state['mlflow runs'] = runs;
  return state;
}

/** Waits until no execution is queued or on its way (at most `timeoutMs`), so that the backup holds every result whole. */
async function settled(url: string, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/api/v1/executions?limit=500&state=queued,preparing,running,harvesting`, { headers: { authorization: `Bearer ${token}` } });
    const active = ((await response.json()) as { executions: Execution[] }).executions;
    if (active.length === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

const bash = (script: string, args: string[], cwd: string): Promise<Result> => runCommand('bash', [script, ...args], { cwd, env: dockerEnv(), timeoutMs: 900_000 });
const expectSuccess = (result: Result, what: string): void => {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
};

/**
 * Issue 18, backup and restore on the running deployment, once its data is rich (after the other
 * flows): scripts/backup.sh while it runs; a truncated copy of the backup refused by
 * scripts/restore.sh in a freshly generated folder, changing nothing; `docker compose down -v`
 * (every volume gone); scripts/restore.sh of the backup in that folder, which starts the
 * deployment; then every execution's record, log, output files, measures, every project's history
 * and every MLflow run are what they were before. The restored folder then becomes the test's
 * deployment (`adopt`), so that the tests after this flow run on the restored deployment.
 */
export function backupFlow(context: () => BackupContext): void {
  it('backs up the running deployment, refuses a truncated copy, and restores it after down -v into a new folder with every result identical', async () => {
    const { url, token, project, directory, base, generateFlags } = context();
    const started = Date.now();
    await settled(url, token, 120_000);
    const before = await results(url, token);

    const backup = path.join(base, 'backup');
    const backupStarted = Date.now();
    const backedUp = await bash('scripts/backup.sh', [backup], directory);
    expectSuccess(backedUp, 'scripts/backup.sh');
    const backupMs = Date.now() - backupStarted;
    expect(backedUp.stderr).toMatch(/plz backup: done: /);
    expect(statSync(backup).mode & 0o777).toBe(0o700);
    const readableByOthers = await runCommand('find', [backup, '-perm', '/077']);
    expect(readableByOthers.stdout).toBe('');
    expect(readFileSync(path.join(backup, 'MANIFEST'), 'utf8')).toMatch(/^plz-backup 1\ncreated \S+\ndeployment \S+\n[\s\S]*\nfile [0-9a-f]{64} \d+ db\/restapi\.dump\n[\s\S]*\nend \d+ \d+\n$/);
    expect(readdirSync(path.join(backup, 'minio')).sort()).toEqual(['mlflow', 'plz-inputs', 'plz-snapshots']);

    // A new folder from the same answers, as on a new host; a truncated copy of the backup is refused there.
    const restored = path.join(base, 'restored');
    await generateDeployment(restored, generateFlags);
    const truncated = path.join(base, 'backup-truncated');
    cpSync(backup, truncated, { recursive: true });
    const dump = path.join(truncated, 'db', 'mlflow.dump');
    truncateSync(dump, Math.floor(statSync(dump).size / 2));
    const refused = await bash('scripts/restore.sh', [truncated], restored);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/does not match its MANIFEST \(1 problems\), so it is refused and nothing was changed:\n\s+wrong size: db\/mlflow\.dump /)]);
    expect(existsSync(path.join(restored, '.env'))).toBe(false);

    // The disk dies: the deployment and its volumes are gone.
    await project.compose(['--profile', 'init', 'down', '-v'], 600_000);
    const volumes = await runCommand(dockerBinary, ['volume', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project.name}`], { env: dockerEnv() });
    expect(volumes.stdout.trim()).toBe('');

    const restoreStarted = Date.now();
    const restoredRun = await bash('scripts/restore.sh', [backup], restored);
    expectSuccess(restoredRun, 'scripts/restore.sh');
    const restoreMs = Date.now() - restoreStarted;
    expect(restoredRun.stderr).toMatch(/plz restore: done in /);

    const newUrl = await context().adopt(restored);
    const after = await results(newUrl, token);
    const executions = (before['executions'] as string[]).length;
    process.stderr.write(
      `backup flow: ${executions} executions; backup ${(backupMs / 1000).toFixed(1)} s (${readFileSync(path.join(backup, 'MANIFEST'), 'utf8').match(/^end (.*)$/m)?.[1]} files/bytes), ` +
        `restore ${(restoreMs / 1000).toFixed(1)} s, flow ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    expect(after).toEqual(before);
  }, 1_800_000);
}

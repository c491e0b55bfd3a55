import { createHash } from 'node:crypto';

// What a user sees of a deployment's results, read through NGINX: compared before and after a
// backup and restore (backup-flow.ts) and before and after an upgrade (upgrade-flow.ts).

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
export async function results(url: string, token: string): Promise<Record<string, unknown>> {
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
export async function settled(url: string, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/api/v1/executions?limit=500&state=queued,preparing,running,harvesting`, { headers: { authorization: `Bearer ${token}` } });
    const active = ((await response.json()) as { executions: Execution[] }).executions;
    if (active.length === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

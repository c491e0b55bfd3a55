import { Command } from 'commander';
import { z } from 'zod';
import type { ExecutionList, ExecutionRecord, ExecutionStatus, Identity, MeasuresResponse, QueuesResponse, StopResult, WorkerInfo, WorkersResponse } from '@plz/contracts';
import { ApiClientError, type ApiClient } from '../../api/client.js';
import { ConfigError } from '../../errors.js';
import { formatAgo, formatTable } from '../../output.js';
import { executionIdOrLast, openServerSession } from '../common.js';
import { fairShareText, statusText } from '../queues/format.js';
import { formatLimits } from './limits.js';

// The read-only verbs and stop: each asks one endpoint and prints its answer.

/** `plz describe [ID]`: the whole execution record. */
export function describeCommand(): Command {
  return new Command('describe')
    .description('show everything stored about an execution')
    .argument('[id]', 'execution id (default: your last execution)')
    .action(async function (this: Command, id: string | undefined) {
      const { api, printer } = openServerSession(this);
      printer.result(await api.json<ExecutionRecord>('GET', `/api/v1/executions/${await executionIdOrLast(api, id)}`));
    });
}

/** `plz status [ID]`: state, exit code or error; while queued, priority, position and expected start (statusText). */
export function statusCommand(): Command {
  return new Command('status')
    .description("show an execution's state (and, while it is queued, its place in the queue)")
    .argument('[id]', 'execution id (default: your last execution)')
    .action(async function (this: Command, id: string | undefined) {
      const { api, printer } = openServerSession(this);
      const status = await api.json<ExecutionStatus>('GET', `/api/v1/executions/${await executionIdOrLast(api, id)}/status`, { query: { position: true } });
      printer.result(status, statusText(status));
    });
}

/** `plz measures [ID] [-s]`: every measure, or the summary. */
export function measuresCommand(): Command {
  return new Command('measures')
    .description("print an execution's measures (or its summary with -s) as JSON")
    .argument('[id]', 'execution id (default: your last execution)')
    .option('-s, --summary', 'only the summary')
    .action(async function (this: Command, id: string | undefined) {
      const summary = z.object({ summary: z.boolean().default(false) }).parse(this.opts()).summary;
      const { api, printer } = openServerSession(this);
      const answer = await api.json<MeasuresResponse>('GET', `/api/v1/executions/${await executionIdOrLast(api, id)}/measures`, { query: { summary } });
      const value = summary ? (answer.summary ?? null) : (answer.measures ?? null);
      printer.result(value, JSON.stringify(value, null, 2));
    });
}

/** `plz stop [ID]`. */
export function stopCommand(): Command {
  return new Command('stop')
    .description('stop an execution (a queued one leaves the queue; a running one is stopped)')
    .argument('[id]', 'execution id (default: your last execution)')
    .action(async function (this: Command, id: string | undefined) {
      const { api, printer } = openServerSession(this);
      const result = await api.json<StopResult>('POST', `/api/v1/executions/${await executionIdOrLast(api, id)}/stop`);
      printer.result(result, result.outcome === 'stopped' ? `${result.id}: stopped` : `${result.id}: stop requested, its worker is stopping it`);
    });
}

const ListOptions = z.object({
  allProjects: z.boolean().default(false),
  state: z.string().optional(),
  user: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(20),
});

/** Executions for people: a header, then one line each, newest first, with relative times. */
export function executionsTable(executions: readonly ExecutionRecord[], now: Date = new Date()): string {
  return formatTable(
    ['ID', 'STATE', 'PROJECT', 'USER', 'CREATED', 'NAME'],
    executions.map((e) => [e.id, e.state === 'failed' && e.exit_code !== null ? `failed (${e.exit_code})` : e.state, e.project, e.user, formatAgo(e.created_at, now), e.name ?? '']),
  );
}

/** `plz list`: the project's latest executions. */
export function listCommand(): Command {
  return new Command('list')
    .description("list the project's latest executions (every project's with --all-projects)")
    .option('--all-projects', 'every project')
    .option('--state <state>', 'only executions in this state')
    .option('--user <name>', "only this user's executions")
    .option('-n, --limit <n>', 'how many', '20')
    .action(async function (this: Command) {
      const options = ListOptions.parse(this.opts());
      const { config, api, printer } = openServerSession(this);
      if (!options.allProjects && !config.project) throw new ConfigError('which project? There is no plz.config.json here', 'run it in a project folder, or list every project with --all-projects', 'no_project');
      const list = await api.json<ExecutionList>('GET', '/api/v1/executions', {
        query: { project: options.allProjects ? undefined : config.project, state: options.state, user: options.user, limit: options.limit },
      });
      printer.result(list.executions, list.executions.length ? executionsTable(list.executions) : 'no executions');
    });
}

/** `plz last`: the id of your last execution (for shell use: `plz logs $(plz last)`). */
export function lastCommand(): Command {
  return new Command('last')
    .description('print the id of your last execution')
    .action(async function (this: Command) {
      const { api, printer } = openServerSession(this);
      const id = await executionIdOrLast(api, undefined);
      printer.result({ id }, id);
    });
}

/**
 * A worker's GPUs for people: `gpus=-` without, `gpus=0,1`, and each GPU's model and memory where
 * the worker could read them (`gpu_details`, absent from older deployments): `gpus=0 (NVIDIA H200
 * 140.4 GiB)`, `gpus=0,1 (0: NVIDIA H200 140.4 GiB; 1: NVIDIA H200 140.4 GiB)`. Memory in GiB
 * (1024 MiB), one decimal when not whole.
 */
export function gpuText(worker: Pick<WorkerInfo, 'gpus' | 'gpu_details'>): string {
  const ids = `gpus=${worker.gpus.join(',') || '-'}`;
  const details = worker.gpu_details ?? [];
  if (details.length === 0) return ids;
  const gib = (mib: number): string => `${Number((mib / 1024).toFixed(1))} GiB`;
  const each = details.map((gpu) => `${details.length > 1 ? `${gpu.device}: ` : ''}${gpu.name} ${gib(gpu.memory_mib)}`);
  return `${ids} (${each.join('; ')})`;
}

/**
 * Live workers for people: one line each (id, host, queue, GPUs with their model and memory where known
 * (gpuText), what it runs, heartbeat age, then its job limits as formatLimits writes them, `-` for
 * a worker that publishes none).
 */
export function workersText(answer: WorkersResponse): string {
  const lines = answer.workers.map((w) => {
    const limits = (w as { limits?: Parameters<typeof formatLimits>[0] }).limits; // absent from deployments older than limits
    return `${w.worker_id}  ${w.hostname ? `on ${w.hostname}  ` : ''}${w.queue.padEnd(8)} ${gpuText(w)}  ${w.execution_id ? `running ${w.execution_id}` : 'idle'}  (${w.heartbeat_age_seconds.toFixed(0)} s ago)  ${formatLimits(limits)}`;
  });
  const queues = Object.entries(answer.queues).map(([name, c]) => `queue ${name}: ${c.waiting} waiting, ${c.active} active, ${c.delayed} delayed`);
  return [...(lines.length ? lines : ['no live worker']), ...queues].join('\n');
}

/**
 * The fair share of every queue (`GET /api/v1/queues`), or null from a deployment older than
 * fair sharing (it answers 404 there).
 */
export async function fairShare(api: ApiClient): Promise<QueuesResponse | null> {
  try {
    return await api.json<QueuesResponse>('GET', '/api/v1/queues');
  } catch (error) {
    if (error instanceof ApiClientError && error.status === 404) return null;
    throw error;
  }
}

/**
 * `plz workers`: live workers, their job limits and queue lengths, then each queue's fair share
 * (fairShareText). `--json`: the workers answer as it is, with the queues answer as `fair_share`
 * (null from a deployment older than fair sharing).
 */
export function workersCommand(): Command {
  return new Command('workers')
    .description("list live workers (with their job limits), queue lengths, and each queue's users by fair share")
    .action(async function (this: Command) {
      const { api, printer } = openServerSession(this);
      const [answer, queues] = await Promise.all([api.json<WorkersResponse>('GET', '/api/v1/workers'), fairShare(api)]);
      const text = [workersText(answer), '', queues ? fairShareText(queues) : 'fair share: this deployment does not report it (it is older than fair sharing)'].join('\n');
      printer.result({ ...answer, fair_share: queues }, text);
    });
}

/** `plz ping`: is the server up, and is the token good (in any folder: it needs no project). */
export function pingCommand(): Command {
  return new Command('ping')
    .description('check that the server answers and the token is accepted')
    .action(async function (this: Command) {
      const { config, api, printer } = openServerSession(this);
      // Through the deployment's NGINX only /api/ reaches the REST API: /api/v1/me proves both.
      const me = await api.json<Identity>('GET', '/api/v1/me');
      printer.result({ url: config.url, user: me.name, role: me.role }, `${config.url} is up; you are ${me.name} (${me.role})`);
    });
}

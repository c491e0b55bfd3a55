import type { Identity, QueuesResponse, WorkerInfo } from '@plz/contracts';
import { humanBytes, humanDuration, timeElement } from './format.js';
import { layout } from './layout.js';
import { html } from './markup.js';

/** A worker's GPUs: device ids, with model and memory where the worker could read them (nvidia-smi). */
function gpuList(worker: WorkerInfo): string {
  return worker.gpus
    .map((device) => {
      const detail = worker.gpu_details?.find((one) => one.device === device);
      return detail ? `${device} (${detail.name}, ${humanBytes(detail.memory_mib * 1024 ** 2)})` : device;
    })
    .join(', ');
}

/** What the workers page shows: live workers (from their heartbeats) and the queues as the dispatcher sees them. */
export interface WorkersView {
  identity: Identity;
  workers: readonly WorkerInfo[];
  queues: QueuesResponse;
}

/**
 * The workers and queues page: each live worker with its queue, GPUs, host, idle or busy (with a
 * link to the execution), heartbeat age and job limits; each queue's live workers, waiting and
 * running executions and each user's share. Refreshed every 5 s by the page script.
 */
export function workersPage(view: WorkersView): string {
  const workers = [...view.workers].sort((a, b) => a.worker_id.localeCompare(b.worker_id));
  const workerRows = workers.map(
    (worker) => html`<tr>
<th scope="row">${worker.worker_id}</th>
<td>${worker.hostname ?? ''}</td>
<td>${worker.queue}</td>
<td>${worker.gpus.length ? gpuList(worker) : html`<span class="muted">none (CPU)</span>`}</td>
<td>${worker.execution_id ? html`<span class="state state-running">busy</span> <a href="/executions/${worker.execution_id}">${worker.execution_id.slice(0, 8)}</a>` : html`<span class="state state-stopped">idle</span>`}</td>
<td class="num">${humanDuration(worker.heartbeat_age_seconds * 1000)} ago</td>
<td>${worker.limits ? `${humanBytes(worker.limits.memory_max)} memory, ${worker.limits.cpus_max} CPUs, ${humanDuration(worker.limits.max_run_seconds_max * 1000)} at most` : html`<span class="muted">not published</span>`}</td>
<td>${timeElement(worker.started_at)}</td>
</tr>`,
  );
  const queueNames = Object.keys(view.queues.queues).sort();
  const queueRows = queueNames.map((name) => {
    const queue = view.queues.queues[name]!;
    const users = queue.users.map(
      (user, index) => html`${index ? html`<br>` : ''}<a href="/executions?user=${encodeURIComponent(user.user)}">${user.user}</a>: ${user.waiting.high + user.waiting.normal + user.waiting.low} waiting, ${user.running} running, ${user.usage_seconds > 0 ? `${humanDuration(user.usage_seconds * 1000)} used` : 'no use yet'}`,
    );
    return html`<tr><th scope="row">${name}</th><td class="num">${queue.workers}</td><td class="num">${queue.gpus_per_worker}</td><td class="num">${queue.waiting}</td><td class="num">${queue.running}</td><td>${users.length ? users : html`<span class="muted">—</span>`}</td></tr>`;
  });
  return layout(
    { title: 'Workers and queues', identity: view.identity, section: 'workers' },
    html`<h1>Workers and queues</h1>
<div id="workers-part" data-refresh="5">
<h2>Workers</h2>
${workers.length ? html`<div class="table-wrap"><table><caption class="sr-only">Live workers</caption>
<thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">Queue</th><th scope="col">GPUs</th><th scope="col">Now</th><th scope="col" class="num">Heartbeat</th><th scope="col">Limits per job</th><th scope="col">Up since</th></tr></thead>
<tbody>${workerRows}</tbody></table></div>` : html`<div class="empty"><p>No worker is alive: no heartbeat in the last 30 seconds. An operator checks <code>docker compose ps</code> on the deployment.</p></div>`}
<h2>Queues</h2>
${queueNames.length ? html`<div class="table-wrap"><table><caption class="sr-only">Queues</caption>
<thead><tr><th scope="col">Queue</th><th scope="col" class="num">Workers</th><th scope="col" class="num">GPUs each</th><th scope="col" class="num">Waiting</th><th scope="col" class="num">Running</th><th scope="col">Users (next first)</th></tr></thead>
<tbody>${queueRows}</tbody></table></div>` : html`<p class="muted">No queue has workers or executions.</p>`}
<p class="hint">Fair share: use over the last ${humanDuration(view.queues.window_seconds * 1000)}, counted in quanta of ${humanDuration(view.queues.quantum_seconds * 1000)}${view.queues.max_running_per_user ? `, at most ${view.queues.max_running_per_user} running per user and queue` : ''}.</p>
</div>`,
  );
}

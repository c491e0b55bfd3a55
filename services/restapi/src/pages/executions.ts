import { executionStates, isTerminal, mlflowUiPage, type ExecutionState, type Identity, type QueuePosition } from '@plz/contracts';
import type { StoredExecution } from '../repositories/executions.js';
import { humanBytes, humanDuration, runDuration, timeElement, valueText } from './format.js';
import { layout } from './layout.js';
import { html, type SafeHtml } from './markup.js';
import { metricSeries, sparkline } from './measures.js';

/** A state as a coloured badge (the colour is never the only sign: the word is there). */
export function stateBadge(state: ExecutionState): SafeHtml {
  return html`<span class="state state-${state}">${state}</span>`;
}

/** The link to an execution's page, labelled with its name (or the first 8 characters of its id). */
export function executionLink(execution: Pick<StoredExecution, 'id' | 'name'>): SafeHtml {
  return html`<a href="/executions/${execution.id}">${execution.name ?? execution.id.slice(0, 8)}</a>`;
}

/** The filters of the executions page as given (empty strings for none). */
export interface ListFilters {
  project: string;
  user: string;
  state: string;
  sweep_id: string;
}

/** What the executions page shows. */
export interface ListView {
  identity: Identity;
  filters: ListFilters;
  executions: readonly StoredExecution[];
  /** The query string of the next (older) page, or null on the last one. */
  olderQuery: string | null;
  /** True when this is not the first page. */
  paged: boolean;
  now?: number;
}

/**
 * The executions page: the filter form (project, user, state, sweep; a GET form, so it works
 * without script and its URL can be shared), the table newest first (refreshed every 5 s by the
 * page script), a link to older ones, and an empty state saying what to do.
 */
export function executionsPage(view: ListView): string {
  const { filters } = view;
  const options = [html`<option value="">any</option>`, ...executionStates.map((state) => html`<option value="${state}"${filters.state === state ? ' selected' : ''}>${state}</option>`)];
  const filtered = Object.values(filters).some(Boolean);
  const rows = view.executions.map(
    (execution) => html`<tr>
<td>${executionLink(execution)}<br><span class="muted mono">${execution.id.slice(0, 8)}</span></td>
<td>${stateBadge(execution.state)}</td>
<td><a href="/executions?project=${encodeURIComponent(execution.project)}">${execution.project}</a></td>
<td><a href="/executions?user=${encodeURIComponent(execution.user)}">${execution.user}</a></td>
<td>${execution.queue}${execution.worker_id ? html`<br><span class="muted">${execution.worker_id}</span>` : ''}</td>
<td>${timeElement(execution.created_at)}</td>
<td class="num">${runDuration(execution.started_at, execution.finished_at, view.now)}</td>
<td>${execution.sweep_id ? html`<a href="/sweeps/${execution.sweep_id}">sweep</a>` : ''}${execution.rerun_of ? html` rerun` : ''}${execution.reused_from ? html` <a href="/executions/${execution.reused_from}">reused</a>` : ''}</td>
</tr>`,
  );
  const table =
    view.executions.length > 0
      ? html`<div class="table-wrap"><table>
<caption class="sr-only">Executions, newest first</caption>
<thead><tr><th scope="col">Execution</th><th scope="col">State</th><th scope="col">Project</th><th scope="col">User</th><th scope="col">Queue / worker</th><th scope="col">Submitted</th><th scope="col" class="num">Ran for</th><th scope="col">Sweep / rerun / reuse</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
      : filtered || view.paged
        ? html`<div class="empty"><p>No execution matches these filters.</p><p><a href="/executions">Show every execution</a></p></div>`
        : html`<div class="empty"><p><strong>No executions yet.</strong></p><p>Install the <code>plz</code> command and log in (see <a href="/start">Start</a>), then type <code>plz run</code> next to your code: the execution appears here.</p></div>`;
  const pages = html`<nav class="pages" aria-label="Pages">${view.paged ? html`<a href="/executions?${listQuery(filters)}">Newest</a>` : ''}${view.olderQuery ? html`<a href="/executions?${view.olderQuery}">Older →</a>` : ''}</nav>`;
  return layout(
    { title: 'Executions', identity: view.identity, section: 'executions' },
    html`<h1>Executions</h1>
<form class="filters" method="get" action="/executions" role="search" aria-label="Filter the executions">
<div><label for="f-project">Project</label><input type="search" id="f-project" name="project" value="${filters.project}"></div>
<div><label for="f-user">User</label><input type="search" id="f-user" name="user" value="${filters.user}"></div>
<div><label for="f-state">State</label><select id="f-state" name="state">${options}</select></div>
<div><label for="f-sweep">Sweep id</label><input type="search" id="f-sweep" name="sweep_id" value="${filters.sweep_id}"></div>
<div><button type="submit">Filter</button> <a class="button secondary" href="/executions?user=${encodeURIComponent(view.identity.name)}">Mine</a></div>
</form>
<div id="executions" data-refresh="5">${table}${pages}</div>`,
  );
}

/** The query string of the filters that are set (for links that keep them). */
export function listQuery(filters: ListFilters, cursor?: string): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  if (cursor) query.set('cursor', cursor);
  return query.toString();
}

/** An output file of an execution: its path in the output folder and size in bytes. */
export interface OutputFile {
  path: string;
  size: number;
}

/** What the page of one execution shows. */
export interface ExecutionView {
  identity: Identity;
  execution: StoredExecution;
  /** Its place in the queue while queued (null otherwise or when unknown). */
  position: QueuePosition | null;
  /** The end of its log, and whether earlier lines were left out. */
  log: { text: string; truncated: boolean };
  outputs: readonly OutputFile[];
  /** True when the list of outputs was cut at its cap. */
  moreOutputs: boolean;
  /** A message after an action (stopped, rerun refused), shown at the top. */
  notice?: { kind: 'notice' | 'error'; text: string };
  /** The parameters text of a refused rerun form, to give back for correction. */
  rerunText?: string;
  now?: number;
}

function rowsOf(value: unknown, prefix = ''): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[prefix || 'value', value]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0 && prefix) return [[prefix, value]];
  return entries.flatMap(([key, child]) => rowsOf(child, prefix ? `${prefix}.${key}` : key));
}

function keyValueTable(caption: string, value: unknown, empty: string): SafeHtml {
  const rows = value === null || value === undefined ? [] : rowsOf(value);
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table><caption class="sr-only">${caption}</caption><thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead><tbody>${rows.map(
    ([key, item]) => html`<tr><th scope="row" class="mono">${key}</th><td class="mono">${valueText(item, 500)}</td></tr>`,
  )}</tbody></table></div>`;
}

function measuresSection(measures: Record<string, unknown> | null): SafeHtml {
  const series = metricSeries(measures);
  if (series.length === 0) return html`<p class="muted">${measures === null ? 'No measures yet (they are read when the job ends).' : 'No numeric measures.'}</p>`;
  const charts = series.filter((one) => one.points.length > 1);
  const single = series.filter((one) => one.points.length === 1);
  return html`${charts.length ? html`<div class="charts">${charts.map(
    (one) => html`<figure>${sparkline(one)}<figcaption>${one.key}</figcaption><div class="range">steps ${one.points[0]!.step}–${one.points.at(-1)!.step}, last ${valueText(one.points.at(-1)!.value)}</div></figure>`,
  )}</div>` : ''}${single.length ? html`<div class="table-wrap"><table><caption class="sr-only">Measures with one value</caption><thead><tr><th scope="col">Measure</th><th scope="col" class="num">Step</th><th scope="col" class="num">Value</th></tr></thead><tbody>${single.map(
    (one) => html`<tr><th scope="row" class="mono">${one.key}</th><td class="num">${one.points[0]!.step}</td><td class="num">${valueText(one.points[0]!.value)}</td></tr>`,
  )}</tbody></table></div>` : ''}`;
}

/** True when `identity` may stop `execution` (its owner or an admin), as the Stopper rules. */
export function mayStop(identity: Identity, execution: Pick<StoredExecution, 'user'>): boolean {
  return identity.role === 'admin' || identity.name === execution.user;
}

/**
 * The page of one execution: state and times, user, worker and GPUs, its place in the queue,
 * parameters, summary, measures (a chart per metric with several steps, a table for the rest), the
 * end of its log (followed by the page script while it runs; the whole log one link away), the
 * output files with download links and one archive of all, the MLflow run, and the Stop (owner or
 * admin, while not over) and Rerun (edited parameters) forms.
 */
export function executionPage(view: ExecutionView): string {
  const { execution: e, identity } = view;
  const over = isTerminal(e.state);
  const title = e.name ?? `Execution ${e.id.slice(0, 8)}`;
  const mlflow = e.mlflow_experiment_id && e.mlflow_run_id ? mlflowUiPage(e.mlflow_experiment_id, e.mlflow_run_id) : null;
  const stop =
    !over && mayStop(identity, e)
      ? html`<form method="post" action="/executions/${e.id}/stop" data-confirm="Stop this execution?"><button type="submit" class="danger">Stop</button></form>`
      : '';
  const position = view.position
    ? html`<p class="card" id="position">Position <strong>${view.position.position}</strong> in queue ${e.queue}${view.position.ahead.length ? html`; ahead: ${view.position.ahead.map((one, index) => html`${index ? ', ' : ''}${one.user} ${one.executions}`)}` : ''}${view.position.estimated_start_seconds !== null ? html`; starts in about ${humanDuration(view.position.estimated_start_seconds * 1000)}` : html`; no live worker serves this queue`}.</p>`
    : '';
  const facts: [string, SafeHtml | string][] = [
    ['State', html`${stateBadge(e.state)}${e.exit_code !== null ? html` exit code ${e.exit_code}` : ''}`],
    ['Id', html`<span class="mono">${e.id}</span>`],
    ['Project', html`<a href="/executions?project=${encodeURIComponent(e.project)}">${e.project}</a>`],
    ['User', html`<a href="/executions?user=${encodeURIComponent(e.user)}">${e.user}</a>`],
    ['Queue', `${e.queue} (priority ${e.priority})`],
    ['Worker', e.worker_id ? html`${e.worker_id}${e.gpus?.length ? html`, GPUs ${e.gpus.join(', ')}` : ''}` : html`<span class="muted">${e.reused_from ? 'none: no job ran' : 'none yet'}</span>`],
    ['Submitted', timeElement(e.created_at)],
    ['Started', timeElement(e.started_at)],
    ['Finished', timeElement(e.finished_at)],
    ['Ran for', runDuration(e.started_at, e.finished_at, view.now)],
  ];
  if (e.error) facts.push(['Error', html`<span class="error-text">${e.error}</span>`]);
  if (e.tags.length) facts.push(['Tags', e.tags.join(', ')]);
  if (e.sweep_id) facts.push(['Sweep', html`<a href="/sweeps/${e.sweep_id}">${e.sweep_id}</a>`]);
  if (e.rerun_of) facts.push(['Rerun of', html`<a href="/executions/${e.rerun_of}">${e.rerun_of}</a>`]);
  if (e.reused_from) facts.push(['Reused from', html`<a href="/executions/${e.reused_from}">${e.reused_from}</a> <span class="muted">(its results: no job ran)</span>`]);
  facts.push(['Snapshot', html`<span class="mono">${e.snapshot.slice(0, 16)}</span>`]);
  facts.push(['MLflow run', mlflow ? html`<a href="${mlflow}">open in MLflow</a>` : html`<span class="muted">none yet</span>`]);
  const notice = view.notice ? html`<p class="${view.notice.kind}" role="${view.notice.kind === 'error' ? 'alert' : 'status'}">${view.notice.text}</p>` : '';
  const outputs = view.outputs.length
    ? html`<p><a class="button secondary" href="/api/v1/executions/${e.id}/output" download>Download all (tar)</a></p>
<ul>${view.outputs.map((file) => html`<li><a href="/executions/${e.id}/output/${file.path.split('/').map(encodeURIComponent).join('/')}" download>${file.path}</a> <span class="muted">${humanBytes(file.size)}</span></li>`)}</ul>${view.moreOutputs ? html`<p class="hint">More files than shown: the archive has them all.</p>` : ''}`
    : html`<p class="muted">${over ? 'No output files.' : 'Output files appear when the job ends.'}</p>`;
  const rerunText = view.rerunText ?? JSON.stringify(e.parameters, null, 2);
  return layout(
    { title, identity, section: 'executions' },
    html`<h1>${title}</h1>
${notice}<div class="actions">${stop}<a class="button secondary" href="#rerun">Rerun…</a>${mlflow ? html`<a class="button secondary" href="${mlflow}">MLflow run</a>` : ''}</div>
<div id="summary-part" ${over ? '' : html`data-refresh="3"`}>
${position}<section class="card" aria-labelledby="facts-h"><h2 id="facts-h" class="sr-only">Facts</h2><dl class="facts">${facts.map(([term, detail]) => html`<dt>${term}</dt><dd>${detail}</dd>`)}</dl></section>
<h2>Summary</h2>${keyValueTable('Summary', e.summary, over ? 'No summary.' : 'The summary is read when the job ends.')}
<h2>Measures</h2>${measuresSection(e.measures)}
<h2>Output files</h2>${outputs}
</div>
<h2>Parameters</h2>${keyValueTable('Parameters', e.parameters, 'No parameters.')}
<h2 id="log-h">Log</h2>
<p class="hint"><span id="log-status" role="status">${over ? 'The execution has ended.' : 'The log follows the job while this page is open (with JavaScript); without, reload.'}</span> <a href="/api/v1/executions/${e.id}/logs">Whole log as text</a></p>
${view.log.truncated ? html`<p class="hint">Only the end of the log is shown here.</p>` : ''}<pre class="log" id="log" tabindex="0" aria-labelledby="log-h"${over ? '' : html` data-follow="/api/v1/executions/${e.id}/logs?follow=true"`}>${view.log.text || (over ? '(empty)' : '(nothing yet)')}</pre>
<h2 id="rerun">Rerun</h2>
<form class="rerun card" method="post" action="/executions/${e.id}/rerun">
<p class="hint">A new execution of yours with the same code, input and resources; the parameters below replace these as a whole.</p>
<label for="rerun-parameters">Parameters (JSON object)</label>
<textarea id="rerun-parameters" name="parameters" spellcheck="false">${rerunText}</textarea>
<label for="rerun-name">Name (optional)</label>
<input type="text" id="rerun-name" name="name" value="">
<p><button type="submit">Rerun</button></p>
</form>`,
  );
}

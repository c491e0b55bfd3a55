import type { Identity, SweepSummary } from '@plz/contracts';
import type { StoredExecution } from '../repositories/executions.js';
import { executionLink, stateBadge } from './executions.js';
import { runDuration, timeElement, valueText } from './format.js';
import { layout } from './layout.js';
import { html, type SafeHtml } from './markup.js';

/** The sweeps page: newest first, each with its project, user, size and time. */
export function sweepsPage(identity: Identity, sweeps: readonly SweepSummary[], project: string): string {
  const rows = sweeps.map(
    (sweep) => html`<tr><td><a href="/sweeps/${sweep.id}">${sweep.id.slice(0, 8)}</a></td><td><a href="/sweeps?project=${encodeURIComponent(sweep.project)}">${sweep.project}</a></td><td>${sweep.user}</td><td class="num">${sweep.size}</td><td>${timeElement(sweep.created_at)}</td></tr>`,
  );
  return layout(
    { title: 'Sweeps', identity, section: 'sweeps' },
    html`<h1>Sweeps</h1>
<form class="filters" method="get" action="/sweeps" role="search" aria-label="Filter the sweeps"><div><label for="s-project">Project</label><input type="search" id="s-project" name="project" value="${project}"></div><div><button type="submit">Filter</button></div></form>
${sweeps.length ? html`<div class="table-wrap"><table><caption class="sr-only">Sweeps, newest first</caption><thead><tr><th scope="col">Sweep</th><th scope="col">Project</th><th scope="col">User</th><th scope="col" class="num">Executions</th><th scope="col">Submitted</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<div class="empty"><p>No sweeps${project ? ' in this project' : ''}.</p><p><code>plz sweep</code> runs one execution per parameter set (a list, or a grid of values).</p></div>`}`,
  );
}

/** A column of the sweep table: a fixed one, a parameter or a summary value. */
export type SweepColumn = `param:${string}` | `summary:${string}` | 'state' | 'duration' | 'submitted';

/** A sort of the sweep table: by which column, which way. */
export interface SweepSort {
  column: string;
  descending: boolean;
}

function leaves(value: unknown, prefix = ''): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return prefix || value !== null ? [[prefix || 'value', value]] : [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key));
}

/** Compares two cells: missing last, numbers by value, the rest as text. */
function compareCells(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return valueText(a).localeCompare(valueText(b), undefined, { numeric: true });
}

/**
 * The page of one sweep: its executions with their parameters and summary side by side (one column
 * per parameter and per summary value, nested keys joined with `.`), sortable by any column through
 * the header links (`?sort=<column>&dir=asc|desc`, so it works without script; missing values last).
 */
export function sweepPage(identity: Identity, sweep: Omit<SweepSummary, 'size'>, executions: readonly StoredExecution[], sort: SweepSort | null, now = Date.now()): string {
  const rows = executions.map((execution) => {
    const cells = new Map<string, unknown>();
    for (const [key, value] of leaves(execution.parameters)) cells.set(`param:${key}`, value);
    for (const [key, value] of leaves(execution.summary)) cells.set(`summary:${key}`, value);
    cells.set('state', execution.state);
    cells.set('duration', execution.started_at ? (execution.finished_at ? Date.parse(execution.finished_at) : now) - Date.parse(execution.started_at) : undefined);
    cells.set('submitted', execution.created_at);
    return { execution, cells };
  });
  const keysOf = (prefix: string) => [...new Set(rows.flatMap((row) => [...row.cells.keys()].filter((key) => key.startsWith(prefix))))].sort();
  const params = keysOf('param:');
  const summary = keysOf('summary:');
  if (sort) {
    rows.sort((a, b) => compareCells(a.cells.get(sort.column), b.cells.get(sort.column)) * (sort.descending ? -1 : 1));
    // missing values stay last either way
    if (sort.descending) rows.sort((a, b) => Number(a.cells.get(sort.column) === undefined) - Number(b.cells.get(sort.column) === undefined));
  }
  const header = (column: string, label: string, numeric = false): SafeHtml => {
    const active = sort?.column === column;
    const descending = active ? !sort!.descending : false;
    const ariaSort = active ? (sort!.descending ? 'descending' : 'ascending') : 'none';
    return html`<th scope="col" aria-sort="${ariaSort}"${numeric ? html` class="num"` : ''}><a href="/sweeps/${sweep.id}?sort=${encodeURIComponent(column)}&amp;dir=${descending ? 'desc' : 'asc'}">${label}${active ? (sort!.descending ? ' ▼' : ' ▲') : ''}</a></th>`;
  };
  const cell = (value: unknown): SafeHtml => html`<td class="${typeof value === 'number' ? 'num mono' : 'mono'}">${value === undefined ? '' : valueText(value)}</td>`;
  const counts = new Map<string, number>();
  for (const execution of executions) counts.set(execution.state, (counts.get(execution.state) ?? 0) + 1);
  return layout(
    { title: `Sweep ${sweep.id.slice(0, 8)}`, identity, section: 'sweeps' },
    html`<h1>Sweep ${sweep.id.slice(0, 8)}</h1>
<p>${sweep.project}, by ${sweep.user}, submitted ${timeElement(sweep.created_at)}: ${executions.length} executions (${[...counts.entries()].map(([state, count], index) => html`${index ? ', ' : ''}${count} ${state}`)}). <a href="/executions?sweep_id=${sweep.id}">As a list</a> · <a href="/api/v1/sweeps/${sweep.id}/output" download>All outputs (tar)</a></p>
<div id="sweep-part" data-refresh="5"><div class="table-wrap"><table><caption class="sr-only">Executions of the sweep with their parameters and summary; the column headers sort</caption>
<thead><tr><th scope="col">Execution</th>${header('state', 'State')}${params.map((key) => header(key, key.slice('param:'.length)))}${summary.map((key) => header(key, `summary ${key.slice('summary:'.length)}`, true))}${header('duration', 'Ran for', true)}</tr></thead>
<tbody>${rows.map(({ execution, cells }) => html`<tr><td>${executionLink(execution)}</td><td>${stateBadge(execution.state)}</td>${params.map((key) => cell(cells.get(key)))}${summary.map((key) => cell(cells.get(key)))}<td class="num">${runDuration(execution.started_at, execution.finished_at, now)}</td></tr>`)}</tbody>
</table></div></div>`,
  );
}

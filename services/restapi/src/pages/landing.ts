import type { Identity } from '@plz/contracts';
import { layout } from './layout.js';
import { html } from './markup.js';

/**
 * The Start page (`/` before logging in, `/start` always): how a researcher installs the CLI served
 * by this deployment and logs in, and where the web view, the MLflow UI and the API docs are.
 * `origin` is how the browser reached the deployment (`https://gpu-box.example:8443`). It shows
 * no data, so it needs no identity.
 */
export function landingPage(origin: string, version: string, hasCli: boolean, identity: Identity | null = null): string {
  const install = hasCli
    ? html`<h2>Install the plz command</h2>
<p>With Node.js 24 (or 22.13 and later), nothing else:</p>
<pre><code>npm install -g ${origin}/downloads/plz.tgz
plz login ${origin}</code></pre>
<p class="hint">A private certificate authority: add <code>--cafile ca.crt</code> to npm, and <code>--ca-file ca.crt</code> to <code>plz login</code>. Ask an admin for your token (<code>plz admin tokens create YOUR_NAME</code>).</p>
<p>Then, next to your code: <code>plz run</code>. <code>plz ui</code> prints a link that logs this browser in.</p>`
    : html`<p class="hint">This deployment serves no CLI package (its REST API image was built without one).</p>`;
  return layout(
    { title: 'Start', identity, section: 'start' },
    html`<h1>plz ${version}</h1>
<section class="card"><p>This team's machine-learning jobs: every run with its code, input, parameters, logs, outputs and measures.</p>
${identity ? html`<p><a class="button" href="/executions">See the executions</a></p>` : html`<p><a class="button" href="/login?next=%2Fexecutions">Log in</a> with your user name and API token to see the executions.</p>`}
${install}
<h2>Browse</h2>
<ul>
  <li><a href="/executions">Executions</a>, <a href="/sweeps">sweeps</a> and <a href="/workers">workers and queues</a></li>
  <li><a href="/mlflow/">Runs in the MLflow UI</a> (log in with your user name and token, or a link from <code>plz ui</code>)</li>
  <li><a href="/api/docs/">REST API documentation</a></li>
</ul></section>`,
  );
}

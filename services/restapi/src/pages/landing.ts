import { escapeHtml, page } from './html.js';

/**
 * The deployment's landing page (`/`): how a researcher installs the CLI served by this deployment
 * and logs in, and where the MLflow UI and the API docs are. `origin` is how the browser reached
 * the deployment (`https://gpu-box.example:8443`). It shows no data, so it needs no identity.
 */
export function landingPage(origin: string, version: string, hasCli: boolean): string {
  const o = escapeHtml(origin);
  const install = hasCli
    ? `<h2>Install the plz command</h2>
<p>With Node.js 24 (or 22.13 and later), nothing else:</p>
<pre><code>npm install -g ${o}/downloads/plz.tgz
plz login ${o}</code></pre>
<p class="hint">A private certificate authority: add <code>--cafile ca.crt</code> to npm, and <code>--ca-file ca.crt</code> to <code>plz login</code>. Ask an admin for your token (<code>plz admin tokens create YOUR_NAME</code>).</p>`
    : '<p class="hint">This deployment serves no CLI package (its REST API image was built without one).</p>';
  return page(
    'plz',
    `<h1>plz ${escapeHtml(version)}</h1>
<p>This team's machine-learning jobs: every run with its code, input, parameters, logs, outputs and measures.</p>
${install}
<h2>Browse</h2>
<ul>
  <li><a href="/mlflow/">Runs in the MLflow UI</a> (log in with your user name and token, or a link from <code>plz ui</code>)</li>
  <li><a href="/api/docs/">REST API documentation</a></li>
</ul>`,
  ).replace('max-width: 24rem', 'max-width: 40rem');
}

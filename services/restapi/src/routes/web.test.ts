import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { logStreamKey } from '@plz/contracts';
import { s3Client, testServices } from '@plz/testkit';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

/**
 * The web view (issue 16) against real PostgreSQL, Redis and MinIO: who may open what, what the
 * pages show (escaped), the Stop and Rerun forms (with the attacks a browser page must withstand:
 * another user, another origin), output downloads and the workers and sweep pages.
 */
let api: TestApi;
let snapshot: string;
let alice: { token: string; cookie: string };
let bob: { token: string; cookie: string };
const s3 = s3Client(testServices().s3);

/** A request without following redirects. */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  return fetch(`${api.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
}

async function logIn(user: string, token: string): Promise<string> {
  const response = await send('POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', origin: api.url }, new URLSearchParams({ user, token, next: '/' }).toString());
  expect(response.status).toBe(303);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** A page as a browser of `who` gets it. */
async function open(path: string, who: { cookie: string }): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await send('GET', path, { cookie: who.cookie, accept: 'text/html' });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** A form posted by a page of the deployment (or of `origin`). */
function post(path: string, who: { cookie: string }, fields: Record<string, string> = {}, origin = api.url): Promise<Response> {
  return send('POST', path, { cookie: who.cookie, origin, 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(fields).toString());
}

async function submit(token: string, overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const answer = await api.call('POST', '/api/v1/executions', { token, json: spec(snapshot, overrides) });
  if (answer.status !== 201) throw new Error(answer.text);
  return answer.json;
}

async function workerSets(id: string, fields: Record<string, unknown>): Promise<void> {
  await api.runtime.db('executions').where({ id }).update({ ...fields, updated_at: api.runtime.db.fn.now() });
}

beforeAll(async () => {
  api = await startTestApi();
  snapshot = await storeBlob(api, 'snapshots');
  const a = await api.user('alice');
  const b = await api.user('bob');
  alice = { token: a.token, cookie: await logIn('alice', a.token) };
  bob = { token: b.token, cookie: await logIn('bob', b.token) };
}, 30_000);
afterAll(async () => {
  s3.destroy();
  await api?.close();
});

describe('who may open the web view', () => {
  it('shows the Start page to anyone, and sends a browser without a session to the login page with the way back', async () => {
    const start = await send('GET', '/');
    expect(start.status).toBe(200);
    expect(await start.text()).toMatch(/Log in<\/a> with your user name and API token/);
    for (const path of ['/executions', '/executions?user=alice', '/workers', '/sweeps', `/executions/${crypto.randomUUID()}`]) {
      const page = await send('GET', path, { accept: 'text/html' });
      expect([path, page.status, page.headers.get('location')]).toEqual([path, 303, `/login?next=${encodeURIComponent(path)}`]);
    }
    const expired = await send('GET', '/executions', { cookie: 'plz_session=forged.value' });
    expect([expired.status, expired.headers.get('location')]).toEqual([303, '/login?next=%2Fexecutions']);
  });

  it('sends a logged-in browser from / to the executions, with the headers that keep other sites out', async () => {
    const home = await send('GET', '/', { cookie: alice.cookie });
    expect([home.status, home.headers.get('location')]).toEqual([303, '/executions']);
    const page = await open('/executions', alice);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-store');
    // no inline script or style for the policy to allow
    expect(page.html).not.toMatch(/<script>|<style>|style="/);
  });

  it('serves the style sheet and script, cached for good under their version', async () => {
    const home = await open('/executions', alice);
    const script = /src="(\/static\/plz\.js\?v=[0-9a-f]{12})"/.exec(home.html)?.[1];
    expect(script).toBeDefined();
    const answer = await send('GET', script!);
    expect([answer.status, answer.headers.get('content-type'), answer.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    expect((await send('GET', '/static/plz.css?v=old')).headers.get('cache-control')).toBe('no-cache');
  });
});

describe('the executions page', () => {
  it('lists executions newest first with filters, escapes what users wrote, and pages by key', async () => {
    const older = await submit(alice.token, { project: 'vision', name: 'older run' });
    const evil = await submit(bob.token, { project: 'vision', name: '<script>alert(1)</script>' });
    const page = await open('/executions?project=vision', alice);
    expect(page.status).toBe(200);
    expect(page.html.indexOf(evil.id.slice(0, 8))).toBeLessThan(page.html.indexOf(older.id.slice(0, 8)));
    expect(page.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page.html).not.toContain('<script>alert(1)');
    const mine = await open('/executions?project=vision&user=alice', alice);
    expect(mine.html).toContain(older.id.slice(0, 8));
    expect(mine.html).not.toContain(evil.id.slice(0, 8));
    const queued = await open('/executions?project=vision&state=running', alice);
    expect(queued.html).toContain('No execution matches these filters.');
    for (let index = 0; index < 3; index += 1) await submit(alice.token, { project: 'paged' });
    const first = await open('/executions?project=paged&state=', alice);
    expect(first.html).not.toContain('Older');
    await api.runtime.db('executions').insert(
      (await api.runtime.db('executions').where({ project: 'paged' }).select('*')).flatMap((row: Record<string, unknown>) =>
        Array.from({ length: 20 }, () => ({ ...row, id: crypto.randomUUID() })),
      ),
    );
    const full = await open('/executions?project=paged', alice);
    const older50 = /href="\/executions\?(project=paged&#38;cursor=[^"]+)">Older/.exec(full.html)?.[1];
    expect(older50).toBeDefined();
    const next = await open(`/executions?${older50!.replace(/&#38;/g, '&')}`, alice);
    expect(next.status).toBe(200);
    expect((next.html.match(/<tr>/g) ?? []).length - 1).toBe(63 - 50);
    expect(next.html).toContain('>Newest</a>');
  });

  it('says what to do when there is nothing, and refuses bad filters with a page saying why', async () => {
    const empty = await open('/executions?project=nothing-here', alice);
    expect(empty.html).toContain('No execution matches these filters.');
    const bad = await open('/executions?state=sleeping', alice);
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/These filters cannot be used: state/);
    const cursor = await open('/executions?cursor=garbage', alice);
    expect(cursor.status).toBe(400);
  });
});

describe('the page of an execution', () => {
  it('shows state, parameters, summary, measures as charts, the end of the log and the output files', async () => {
    const { id } = await submit(alice.token, { name: 'digits', parameters: { lr: 0.25, layers: [64, 32] } });
    const [experiment, run] = ['7', `run${id.replace(/-/g, '').slice(0, 20)}`];
    await workerSets(id, {
      state: 'running',
      worker_id: 'worker-cpu-1',
      started_at: new Date(Date.now() - 95_000),
      mlflow_experiment_id: experiment,
      mlflow_run_id: run,
    });
    for (let line = 1; line <= 5; line += 1) await api.redis.xadd(logStreamKey(id), '*', 'stream', 'stdout', 'line', `epoch ${line} <b>done</b>`);
    const running = await open(`/executions/${id}`, alice);
    expect(running.status).toBe(200);
    expect(running.html).toContain('state-running');
    expect(running.html).toContain(`data-follow="/api/v1/executions/${id}/logs?follow=true"`);
    expect(running.html).toContain('epoch 5 &#60;b&#62;done&#60;/b&#62;');
    expect(running.html).toContain('1 min 35 s');
    expect(running.html).toMatch(/<form method="post" action="\/executions\/[^"]+\/stop"/);
    expect(running.html).toContain(`/mlflow/#/experiments/${experiment}/runs/${run}?workflowType=machine_learning`);

    const logText = Array.from({ length: 12000 }, (_, index) => `line ${index}`).join('\n');
    const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: api.buckets.mlflow, Key: `${experiment}/${run}/artifacts/${key}`, Body: body }));
    await put('logs/execution.log', `${logText}\n`);
    await put('output/model/weights.bin', 'weights');
    await put('output/report.html', '<script>alert(document.cookie)</script>');
    await workerSets(id, {
      state: 'succeeded',
      exit_code: 0,
      finished_at: new Date(),
      summary: JSON.stringify({ accuracy: 0.93, note: 'best' }),
      measures: JSON.stringify({ train: { epoch_1: { loss: 0.9 }, epoch_2: { loss: 0.5 }, epoch_3: { loss: 0.2 } }, final: { acc: 0.93 } }),
    });
    const over = await open(`/executions/${id}`, alice);
    expect(over.html).toContain('state-succeeded');
    expect(over.html).not.toContain('data-follow');
    expect(over.html).not.toMatch(/action="\/executions\/[^"]+\/stop"/);
    expect(over.html).toContain('line 11999');
    expect(over.html).not.toContain('line 10\n');
    expect(over.html).toContain('Only the end of the log is shown here.');
    expect(over.html).toMatch(/<svg class="chart" role="img" aria-label="train.loss: 3 points, steps 1 to 3, from 0.9 to 0.2/);
    expect(over.html).toMatch(/final\.acc<\/th><td class="num">0<\/td><td class="num">0.93/);
    expect(over.html).toMatch(/accuracy<\/th><td class="mono">0.93/);
    expect(over.html).toContain(`href="/executions/${id}/output/model/weights.bin" download`);
    expect(over.html).toContain(`href="/api/v1/executions/${id}/output" download`);

    const file = await send('GET', `/executions/${id}/output/model/weights.bin`, { cookie: bob.cookie });
    expect([file.status, await file.text(), file.headers.get('content-disposition')?.replace(/"/g, '')]).toEqual([200, 'weights', 'attachment; filename=weights.bin']);
    // A job's HTML file is a download, never a page of this site (it would read the user's session).
    const report = await send('GET', `/executions/${id}/output/report.html`, { cookie: alice.cookie });
    expect([report.status, report.headers.get('content-type'), report.headers.get('content-disposition')?.replace(/"/g, ''), report.headers.get('x-content-type-options')]).toEqual([200, 'application/octet-stream', 'attachment; filename=report.html', 'nosniff']);
    expect(report.headers.get('content-security-policy')).toContain('sandbox');
    for (const escape of ['..%2F..%2Flogs%2Fexecution.log', '%2E%2E/logs/execution.log', 'missing.txt']) {
      const refused = await send('GET', `/executions/${id}/output/${escape}`, { cookie: alice.cookie });
      expect([escape, refused.status]).toEqual([escape, expect.any(Number)]);
      expect(refused.status === 400 || refused.status === 404).toBe(true);
      expect(await refused.text()).not.toContain('line 3999');
    }
  });

  it('shows a queued execution with its place in the queue, and says so for an unknown id', async () => {
    const { id } = await submit(alice.token, { project: 'waiting' });
    const page = await open(`/executions/${id}`, alice);
    expect(page.html).toMatch(/Position <strong>\d+<\/strong> in queue cpu/);
    expect((await open(`/executions/${crypto.randomUUID()}`, alice)).status).toBe(404);
    expect((await open('/executions/not-an-id', alice)).status).toBe(404);
  });
});

describe('Stop and Rerun on the page', () => {
  it("refuses another user's stop, and a post from another origin, then stops the owner's execution", async () => {
    const { id } = await submit(alice.token, { project: 'stopping' });
    const stranger = await post(`/executions/${id}/stop`, bob);
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toMatch(/Not allowed/);
    const forged = await post(`/executions/${id}/stop`, alice, {}, 'http://evil.example');
    expect(forged.status).toBe(403);
    expect((await api.call('GET', `/api/v1/executions/${id}/status`, { token: alice.token })).json.state).toBe('queued');
    const stopped = await post(`/executions/${id}/stop`, alice);
    expect([stopped.status, stopped.headers.get('location')]).toEqual([303, `/executions/${id}?stopped=1`]);
    expect((await api.call('GET', `/api/v1/executions/${id}/status`, { token: alice.token })).json.state).toBe('stopped');
    expect((await open(`/executions/${id}?stopped=1`, alice)).html).toContain('Stopped.');
  });

  it('reruns with edited parameters as the caller, and gives back a form it cannot use with the reason', async () => {
    const { id } = await submit(alice.token, { project: 'again', parameters: { lr: 0.1 } });
    const orphan = await post(`/executions/${id}/rerun`, alice, { parameters: '{}' });
    expect(orphan.status).toBe(409);
    expect(await orphan.text()).toMatch(/no live worker/);
    await writeHeartbeat(api.redis, { worker_id: 'worker-cpu-9', queue: 'cpu' });
    const rerun = await post(`/executions/${id}/rerun`, bob, { parameters: '{"lr": 0.5, "epochs": 3}', name: 'bob tries' });
    expect(rerun.status).toBe(303);
    const next = rerun.headers.get('location')!.split('/').at(-1)!;
    const record = (await api.call('GET', `/api/v1/executions/${next}`, { token: bob.token })).json;
    expect(record).toMatchObject({ user: 'bob', rerun_of: id, parameters: { lr: 0.5, epochs: 3 }, name: 'bob tries', project: 'again' });
    const broken = await post(`/executions/${id}/rerun`, alice, { parameters: '{"lr": 0.5,' });
    expect(broken.status).toBe(400);
    const page = await broken.text();
    expect(page).toMatch(/Not rerun: the parameters are not JSON/);
    expect(page).toContain('{&#34;lr&#34;: 0.5,</textarea>');
    expect((await post(`/executions/${id}/rerun`, alice, { parameters: '[1, 2]' })).status).toBe(400);
    expect((await post(`/executions/${id}/rerun`, alice, { parameters: '{}' }, 'http://evil.example')).status).toBe(403);
  });
});

describe('the workers, sweeps and start pages', () => {
  it('shows a busy worker with its execution and an idle one, and each queue', async () => {
    const { id } = await submit(alice.token, { project: 'busy' });
    await writeHeartbeat(api.redis, { worker_id: 'worker-gpu-0', queue: 'gpu', gpus: ['0'], execution_id: id, gpu_details: [{ device: '0', name: 'NVIDIA H200', memory_mib: 143771 }] });
    await writeHeartbeat(api.redis, { worker_id: 'worker-cpu-1', queue: 'cpu' });
    const page = await open('/workers', alice);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(new RegExp(`worker-gpu-0</th>[\\s\\S]*?busy</span> <a href="/executions/${id}">`));
    expect(page.html).toMatch(/worker-cpu-1<\/th>[\s\S]*?idle/);
    expect(page.html).toContain('<td>0 (NVIDIA H200, 140.4 GiB)</td>');
    expect(page.html).toMatch(/<th scope="row">cpu<\/th><td class="num">[1-9]\d*<\/td><td class="num">0<\/td><td class="num">[1-9]\d*<\/td>/);
    expect(page.html).toMatch(/<th scope="row">gpu<\/th><td class="num">1<\/td><td class="num">1<\/td>/);
  });

  it('compares the executions of a sweep side by side, sorted by any column', async () => {
    const created = await api.call('POST', '/api/v1/sweeps', { token: alice.token, json: { ...spec(snapshot), project: 'sweeping', parameters: { lr: [0.1, 0.3, 0.2] } } });
    expect(created.status).toBe(201);
    const ids = created.json.executions as string[];
    for (const [index, id] of ids.entries()) await workerSets(id, { state: 'succeeded', summary: JSON.stringify({ accuracy: [0.5, 0.9, 0.7][index] }) });
    const byAccuracy = await open(`/sweeps/${created.json.id}?sort=summary%3Aaccuracy&dir=desc`, alice);
    expect(byAccuracy.status).toBe(200);
    const order = [...byAccuracy.html.matchAll(/<td class="num mono">(0\.\d)<\/td><td class="num mono">(0\.\d)<\/td>/g)].map((match) => [match[1], match[2]]);
    expect(order).toEqual([['0.3', '0.9'], ['0.2', '0.7'], ['0.1', '0.5']]);
    expect(byAccuracy.html).toContain('aria-sort="descending"');
    expect((await open(`/sweeps/${created.json.id}?dir=sideways`, alice)).status).toBe(400);
    const list = await open('/sweeps?project=sweeping', alice);
    expect(list.html).toContain(`/sweeps/${created.json.id}`);
  });

  it('keeps the Start page for a logged-in user, with the install commands for the address used', async () => {
    const start = await send('GET', '/start', { cookie: alice.cookie });
    const text = await start.text();
    expect(start.status).toBe(200);
    expect(text).toContain('See the executions');
    expect(text).toContain('Log out');
  });
});

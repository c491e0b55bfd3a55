// The REST API in a child process for the benchmarks (so that the load they make does not share the
// API's event loop): the child half (`serveApi`, run by a benchmark started with `--serve`) and the
// parent half (`startApi`).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { clearInterval, setInterval } from 'node:timers';

/**
 * Child process: waits for its settings (`{ adminToken, runtime: RuntimeSettings }`) from the parent,
 * opens the REST API's runtime, migrates, makes the first admin, listens on a free loopback port and
 * sends `{ port }`. Logs at `info` to /dev/null (logging is measured, its output not shown). Every
 * later message of the parent goes to `onMessage(message, runtime)`, except those answered here:
 * 'cpu' (answer `{ cpu }`: µs of CPU used so far); 'capture' (`{ capturing: true }`) then
 * 'captured' (`{ queries }`): the statements sent to PostgreSQL in between (knex's `query` event:
 * SQL with `$n` placeholders and the bindings); 'rss-watch' (`{ watching: true }`) then
 * 'rss-peak' (`{ rss: { peak, before } }`: the highest resident set size in bytes sampled every
 * 5 ms in between, and the one at 'rss-watch'). On disconnect it closes every connection
 * (followers of logs included) and the runtime, and exits.
 *
 * @returns the runtime, for benchmarks that watch it (knex's `query` event).
 */
export async function serveApi(onMessage = () => undefined) {
  const { buildApp, createLogger, openRuntime, runMigrations } = await import('@plz/restapi');
  const { default: pino } = await import('pino');
  const [settings] = await once(process, 'message');
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
  const runtime = openRuntime(settings.runtime, logger);
  await runMigrations(runtime.db);
  await runtime.services.bootstrapAdmin(settings.adminToken);
  const server = buildApp(runtime.services, logger).listen(0, '127.0.0.1');
  await once(server, 'listening');
  let captured = null;
  runtime.db.on('query', (query) => captured?.push({ sql: query.sql, bindings: query.bindings ?? [] }));
  let watch = null;
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    } else if (message === 'capture') {
      captured = [];
      process.send({ capturing: true });
    } else if (message === 'captured') {
      process.send({ queries: captured });
      captured = null;
    } else if (message === 'rss-watch') {
      const rssBefore = process.memoryUsage.rss();
      watch = { rssBefore, peak: rssBefore, timer: setInterval(() => (watch.peak = Math.max(watch.peak, process.memoryUsage.rss())), 5) };
      process.send({ watching: true });
    } else if (message === 'rss-peak') {
      clearInterval(watch.timer);
      process.send({ rss: { peak: Math.max(watch.peak, process.memoryUsage.rss()), before: watch.rssBefore } });
      watch = null;
    } else onMessage(message, runtime);
  });
  process.on('disconnect', async () => {
    server.close();
    server.closeAllConnections();
    await runtime.close();
    process.exit(0);
  });
  process.send({ port: server.address().port });
  return runtime;
}

/**
 * Parent process: forks `script` (the benchmark itself, with `--serve`), sends it `settings` and
 * waits for its port. `cpuProfileDir`: the child writes a V8 CPU profile there (--cpu-prof).
 *
 * @returns the child and the API's base URL (`http://127.0.0.1:<port>`).
 */
export async function startApi(script, settings, cpuProfileDir) {
  const child = fork(script, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [] });
  child.send(settings);
  const [{ port }] = await once(child, 'message');
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Sends `question` to the child and resolves with the first answer that has `key`. */
export async function askApi(child, question, key) {
  child.send(question);
  for (;;) {
    const [message] = await once(child, 'message');
    if (message && typeof message === 'object' && key in message) return message[key];
  }
}

/** Disconnects the child and waits for it to exit (it closes the API's connections first). */
export async function stopApi(child) {
  if (child?.connected) {
    child.disconnect();
    await once(child, 'exit');
  }
}

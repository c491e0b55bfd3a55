import { expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jobImageTag } from '@plz/contracts';
import { stringify } from 'yaml';
import { dockerBinary, dockerEnv, type ComposeProject } from './docker.js';
import { executionIdIn, PlzUser, runCommand } from './plz-cli.js';

/** What the containment checks need from the running deployment. */
export interface ContainmentContext {
  url: string;
  token: string;
  project: ComposeProject;
  /** The compose project's name: its networks are `<slug>-edge`, `<slug>-internal`, the workers' `<slug>-jobs`. */
  slug: string;
  /** The deployment folder (its envs/worker.env holds the generator's job limits). */
  directory: string;
  /** Asserts that every service of the deployment runs and its healthcheck is green. */
  expectAllHealthy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `check` every second until it returns true; throws naming `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await check()); await sleep(1_000)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
  }
}

/** `plz-job:<tag>` of an execution's image: the worker's tag of its snapshot (contracts' jobImageTag). */
async function jobImageOf(user: PlzUser, cwd: string, id: string): Promise<string> {
  const { snapshot } = await user.json<{ snapshot: string }>(cwd, ['describe', id]);
  return jobImageTag(snapshot);
}

const imageExists = async (tag: string): Promise<boolean> => (await runCommand(dockerBinary, ['image', 'inspect', '--format', '{{.Id}}', tag], { env: dockerEnv() })).status === 0;

/**
 * Unique bytes of every job image of the engine, as the worker's pruning counts them
 * (services/worker/src/services/image/cache.ts): images whose tags are all `plz-job:*`, Size less
 * SharedSize from the Engine API's GET /system/df (retried while another df runs).
 */
async function jobImageBytes(): Promise<Map<string, number>> {
  const get = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath: '/var/run/docker.sock', path: '/system/df', method: 'GET' }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  let answer = await get();
  for (let attempt = 1; answer.status !== 200 && attempt < 60; attempt += 1) {
    await sleep(1_000);
    answer = await get();
  }
  if (answer.status !== 200) throw new Error(`GET /system/df: ${answer.status} ${answer.body}`);
  const images = (JSON.parse(answer.body) as { Images: Array<{ RepoTags: string[] | null; Size: number; SharedSize: number }> }).Images;
  const bytes = new Map<string, number>();
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
    if (tags.length > 0 && tags.every((tag) => tag.startsWith('plz-job:'))) bytes.set(tags.join(' '), Math.max(0, image.Size - Math.max(0, image.SharedSize)));
  }
  return bytes;
}

/**
 * Issue 14 on a running deployment: jobs are untrusted code, contained. A job reaches neither the
 * host's ports (NGINX's included when bound to every address), nor the services, nor another
 * running job, and the worker is not on the jobs network; memory past a job's limit ends it in
 * error, a request over a maximum is refused at submit, a job image cannot start FROM another
 * execution's, no configuration or token travels in snapshots; a fork bomb stops at the PIDs
 * limit with the stack healthy; job images beyond the cap are pruned, least recently used first.
 * Traffic goes only to this machine: the jobs bridge's gateway, a port of this test, a job of this test.
 */
export function containmentFlow(context: () => ContainmentContext): void {
  const config = (project: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ project, image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'], ...extra });

  it('keeps jobs off the host, the services and each other: no worker on the jobs network, a job reaches no port of the host, no service, no other running job', async () => {
    const { project, slug, url, token } = context();
    const networksOf = async (service: string) => {
      const id = (await project.compose(['ps', '-q', service])).stdout.trim();
      const { stdout } = await runCommand(dockerBinary, ['inspect', id, '--format', '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}'], { env: dockerEnv() });
      return stdout.trim().split(' ');
    };
    expect(await networksOf('worker-cpu-0')).toEqual([`${slug}-internal`]);
    expect(await networksOf('worker-cpu-1')).toEqual([`${slug}-internal`]);
    const gatewayOf = async (network: string) =>
      (await runCommand(dockerBinary, ['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}'], { env: dockerEnv() })).stdout.trim();
    // A port open on every address of this machine, as NGINX's is when bound to 0.0.0.0.
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const port = (server.address() as AddressInfo).port;
    const user = new PlzUser(url, token);
    let peerId = '';
    let peerDir = '';
    try {
      // Control: from another bridge of this machine the port answers, so a refusal below is the jobs network's.
      const control = await runCommand(dockerBinary, ['run', '--rm', '--network', `${slug}-edge`, 'debian:bookworm-slim', 'bash', '-c',
        `timeout 3 bash -c '</dev/tcp/${await gatewayOf(`${slug}-edge`)}/${port}' 2>/dev/null && echo open || echo closed`], { env: dockerEnv() });
      expect(control.stdout.trim()).toBe('open');
      // Another user's job, running on the other worker: it listens on every address of its
      // container and, as a control, reaches itself there; it says whom it accepts.
      peerDir = user.project({
        'plz.config.json': config('containment-peer'),
        'main.py': [
          'import signal, socket, sys',
          'signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))',
          'server = socket.create_server(("0.0.0.0", 8765))',
          'address = socket.gethostbyname(socket.gethostname())',
          'socket.create_connection((address, 8765), timeout=3).close()',
          'server.accept()[0].close()',
          'print("listening on", address, "port 8765, reached from itself", flush=True)',
          'while True:',
          '    connection, (host, _) = server.accept()',
          '    print("accepted from", host, flush=True)',
          '    connection.close()',
        ].join('\n'),
      });
      const started = await user.plz(peerDir, ['run', '--detach'], 120_000);
      expect(started.status).toBe(0);
      peerId = executionIdIn(started.stdout);
      let container = '';
      const peerLog = async () => (await runCommand(dockerBinary, ['logs', container], { env: dockerEnv() })).stdout;
      await until('the other job to listen', async () => {
        container ||= (await runCommand(dockerBinary, ['ps', '-q', '--filter', `label=org.plz.execution-id=${peerId}`], { env: dockerEnv() })).stdout.trim();
        return container !== '' && (await peerLog()).includes('listening on');
      });
      const peerAddress = (await runCommand(dockerBinary, ['inspect', container, '--format', `{{(index .NetworkSettings.Networks "${slug}-jobs").IPAddress}}`], { env: dockerEnv() })).stdout.trim();
      expect(await peerLog()).toContain(`listening on ${peerAddress} port 8765, reached from itself`);
      const probe = user.project({
        'plz.config.json': config('containment-check'),
        'main.py': [
          'import json, os, socket',
          'parameters = json.load(open(os.environ["CONFIGURATION_FILE"]))["parameters"]',
          'def reach(host, port):',
          '    try:',
          '        socket.create_connection((host, port), timeout=3).close()',
          '        return "open"',
          '    except OSError as error:',
          '        return "closed (" + type(error).__name__ + ")"',
          'print("host port:", reach(parameters["gateway"], parameters["port"]), flush=True)',
          'print("restapi service:", reach("restapi", 8080), flush=True)',
          'print("redis service:", reach("redis", 6379), flush=True)',
          'print("other job:", reach(parameters["peer"], 8765), flush=True)',
        ].join('\n'),
        'parameters.json': JSON.stringify({ gateway: await gatewayOf(`${slug}-jobs`), port, peer: peerAddress }),
      });
      const result = await user.plz(probe, ['run', '--parameters', 'parameters.json'], 600_000);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^host port: closed/m);
      expect(result.stdout).toMatch(/^restapi service: closed/m);
      expect(result.stdout).toMatch(/^redis service: closed/m);
      // Kept apart, the packets are dropped: the attempt times out (a refusal would mean it got there).
      expect(result.stdout).toMatch(/^other job: closed \(TimeoutError\)/m);
      expect(await peerLog()).not.toContain('accepted from');
    } finally {
      if (peerId) {
        // Stopped (it exits on SIGTERM), so that its worker is free for the next check.
        await user.plz(peerDir, ['stop', peerId], 60_000);
        await until('the other job to stop', async () => ['stopped', 'succeeded', 'failed', 'error'].includes((await user.json<{ state: string }>(peerDir, ['status', peerId])).state), 120_000);
      }
      user.dispose();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 900_000);

  it('contains what a job may take and see: memory past its limit ends error, a request over a maximum is refused at submit, no FROM another execution\'s image, no configuration or token in snapshots', async () => {
    const { url, token, project, expectAllHealthy } = context();
    const user = new PlzUser(url, token);
    const limits = (extra: Record<string, unknown> = {}) => config('containment-limits', extra);
    try {
      // Memory: 512 MiB written under a 128 MiB limit: killed, and the execution says why.
      const hungry = user.project({ 'plz.config.json': limits({ resources: { memory: '128m' } }), 'main.py': 'data = b"x" * (512 * 1024 ** 2)\nprint("survived", len(data))\n' });
      const oom = await user.plz(hungry, ['run'], 600_000);
      expect(oom.status).toBe(118);
      const oomId = executionIdIn(oom.stdout);
      const described = await user.json<{ state: string; error: string; snapshot: string }>(hungry, ['describe', oomId]);
      expect(described.state).toBe('error');
      expect(described.error).toMatch(/out of memory.*128 MiB/);
      // Over a maximum: refused at submit, nothing queued.
      const greedy = user.project({ 'plz.config.json': limits({ resources: { memory: '4000g' } }), 'main.py': 'print("never")\n' });
      const refused = await user.plz(greedy, ['run'], 120_000);
      expect(refused.status).toBe(119);
      expect(refused.stderr).toMatch(/memory [\d.]+ TiB is more than the maximum, .* \(JOB_MEMORY_MAX\)/);
      // Another execution's image, by tag: refused at build time, with the reason.
      // The worker's tag of that snapshot's image, present on the engine since the job above ran.
      const stolenTag = await jobImageOf(user, hungry, oomId);
      const thief = user.project({ 'plz.config.json': JSON.stringify({ project: 'containment-limits' }), 'plz.Dockerfile': `FROM ${stolenTag}\nCMD ["python", "main.py"]\n` });
      const stolen = await user.plz(thief, ['run'], 600_000);
      expect(stolen.status).toBe(118);
      const thiefError = (await user.json<{ error: string }>(thief, ['describe', executionIdIn(stolen.stdout)])).error;
      expect(thiefError).toContain(`image build refused \`FROM ${stolenTag}\``);
      // The job's code folder holds no plz.config.json; a snapshot holding the token is refused before any upload.
      const lister = user.project({
        'plz.config.json': limits(),
        'sub/plz.config.json': '{}',
        'sub/data.txt': 'kept\n',
        'main.py': 'import glob\nprint("code files:", sorted(glob.glob("**/*", recursive=True)))\n',
      });
      const listed = await user.plz(lister, ['run'], 600_000);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toMatch(/^code files: \[.*'main\.py'.*'sub\/data\.txt'.*\]$/m);
      expect(listed.stdout).not.toMatch(/code files: .*plz\.config\.json/);
      const leaky = user.project({ 'plz.config.json': limits(), 'main.py': 'print("hi")\n', 'notes.txt': `my token: ${token}\n` });
      const leak = await user.plz(leaky, ['run'], 120_000);
      expect(leak.status).toBe(120);
      expect(leak.stderr).toContain('(in notes.txt)');
      expect(`${leak.stdout}${leak.stderr}`).not.toContain(token);
      await project.withDiagnostics(expectAllHealthy);
    } finally {
      user.dispose();
    }
  }, 1_200_000);

  it('stops a fork bomb at the PIDs limit (JOB_PIDS_LIMIT): forks fail there, every service stays healthy, the next job succeeds', async () => {
    const { url, token, project, directory, expectAllHealthy } = context();
    const pidsLimit = /^JOB_PIDS_LIMIT=(\d+)$/m.exec(readFileSync(path.join(directory, 'envs', 'worker.env'), 'utf8'))?.[1];
    expect(pidsLimit).toBeDefined();
    const user = new PlzUser(url, token);
    try {
      // Every process forks until fork fails; the first failure reaches the job's first process,
      // which then reports the cgroup's count and exits (ending the container and the bomb). A job
      // that finds no PIDs limit does not start the bomb, so a missing limit fails here, not the host.
      const bomb = user.project({
        'plz.config.json': config('containment-fork-bomb'),
        'main.py': [
          'import os, select, sys, time',
          'def cgroup(name):',
          '    for folder in ("/sys/fs/cgroup/pids/", "/sys/fs/cgroup/"):',
          '        try:',
          '            return open(folder + name).read().strip()',
          '        except OSError:',
          '            pass',
          '    return "unknown"',
          'print("pids.max:", cgroup("pids.max"), flush=True)',
          'if not cgroup("pids.max").isdigit():',
          '    sys.exit(3)',
          'failures, report = os.pipe()',
          'if os.fork() == 0:',
          '    failed = False',
          '    while True:',
          '        try:',
          '            os.fork()',
          '        except OSError as error:',
          '            if not failed:',
          '                failed = True',
          '                os.write(report, (str(error) + "\\n").encode())',
          '            time.sleep(1)',
          'ready, _, _ = select.select([failures], [], [], 180)',
          'if not ready:',
          '    print("no fork failed in 180 s, processes:", cgroup("pids.current"), flush=True)',
          '    os._exit(4)',
          'print("fork failed:", os.read(failures, 4096).decode().splitlines()[0], flush=True)',
          'time.sleep(2)',
          'print("processes:", cgroup("pids.current"), flush=True)',
          'os._exit(0)',
        ].join('\n'),
      });
      const bombed = await user.plz(bomb, ['run'], 600_000);
      expect(bombed.stdout).toMatch(new RegExp(`^pids\\.max: ${pidsLimit}$`, 'm'));
      expect(bombed.stdout).toMatch(/^fork failed: \[Errno 11\] Resource temporarily unavailable$/m);
      expect(bombed.status).toBe(0);
      const processes = Number(/^processes: (\d+)$/m.exec(bombed.stdout)?.[1]);
      expect(processes).toBeLessThanOrEqual(Number(pidsLimit));
      expect(processes).toBeGreaterThan(Number(pidsLimit) * 0.9);
      await project.withDiagnostics(expectAllHealthy);
      const next = user.project({ 'plz.config.json': config('containment-fork-bomb'), 'main.py': 'print("still here")\n' });
      const after = await user.plz(next, ['run'], 600_000);
      expect([after.status, after.stdout]).toEqual([0, expect.stringMatching(/^still here$/m)]);
    } finally {
      user.dispose();
    }
  }, 900_000);

  it('prunes job images beyond JOB_IMAGE_CACHE_GIB least recently used first, at start and after a build, keeping the recent ones', async () => {
    const { url, token, project, directory } = context();
    // The generator's answer is in whole GiB (50 here); a cap of a few tens of MiB comes from an
    // override of that one variable for both workers (all workers of a host share the cap), as an
    // operator's docker-compose.override.yml would set it; the workers get the generated one back after.
    expect(readFileSync(path.join(directory, 'envs', 'worker.env'), 'utf8')).toMatch(/^JOB_IMAGE_CACHE_GIB=50$/m);
    const user = new PlzUser(url, token);
    const overrides = mkdtempSync(path.join(tmpdir(), 'plz-e2e-cap-'));
    const workers = ['worker-cpu-0', 'worker-cpu-1'];
    const MiB = 1024 ** 2;
    const ballast = 32 * MiB;
    // Names of this run's images: built here, never reused from an earlier run on this engine.
    const stamp = Date.now().toString(36);
    const built: string[] = [];
    try {
      // Distinct images (the RUN line differs, so no layer is shared), each holding 32 MiB of its own.
      const build = async (name: string) => {
        const dir = user.project({
          'plz.config.json': config('containment-image-cache', { image_extensions: [`RUN head -c ${ballast} /dev/urandom > /ballast-${name}-${stamp}`] }),
          'main.py': `print("image ${name}")\n`,
        });
        const result = await user.plz(dir, ['run'], 600_000);
        expect([result.status, result.stdout]).toEqual([0, expect.stringContaining(`image ${name}`)]);
        const tag = await jobImageOf(user, dir, executionIdIn(result.stdout));
        // The image of that execution holds its own ballast.
        expect((await runCommand(dockerBinary, ['history', '--no-trunc', '--format', '{{.CreatedBy}}', tag], { env: dockerEnv() })).stdout).toContain(`/ballast-${name}-${stamp}`);
        built.push(tag);
        return tag;
      };
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => build(name)));
      process.stderr.write(`image cache check: a ${a}, b ${b}, c ${c}\n`);
      const sizes = await jobImageBytes();
      for (const tag of [a!, b!, c!]) expect(sizes.get(tag)).toBeGreaterThanOrEqual(ballast);
      // Uses are recorded per Docker engine in Redis (contracts' jobImageUsesKey), and an image used
      // within JOB_BUILD_TIMEOUT_SECONDS + 10 min is never pruned: a and b are made three and two
      // hours old, as if time had passed. Every other job image of this engine (the other checks',
      // other deployments') is marked used now, so that only this test's images can go.
      const engine = (await runCommand(dockerBinary, ['info', '--format', '{{.ID}}'], { env: dockerEnv() })).stdout.trim();
      const redis = (...args: string[]) => project.compose(['exec', '-T', 'redis', 'redis-cli', ...args]);
      const key = `plz:job-images:${engine}`;
      const now = Date.now();
      /** Marks every job image of the engine but a, b and c used now, unless a use is recorded (again before each prune, for the ones built since). */
      const markOthersUsed = async () => {
        const { stdout } = await runCommand(dockerBinary, ['images', 'plz-job', '--format', '{{.Repository}}:{{.Tag}}'], { env: dockerEnv() });
        const others = stdout.split('\n').filter((tag) => tag.startsWith('plz-job:') && ![a, b, c].includes(tag));
        if (others.length > 0) await redis('ZADD', key, 'NX', ...others.flatMap((tag) => [String(Date.now()), tag]));
      };
      await markOthersUsed();
      const aged = await redis('ZADD', key, 'XX', 'CH', String(now - 3 * 3600_000), a!, String(now - 2 * 3600_000), b!);
      expect(aged.stdout.trim()).toBe('2');
      // The cap: what is there less 16 MiB, so that removing a (32 MiB) is enough; a fourth image
      // then goes past it again, and b, the oldest left, goes.
      const total = [...sizes.values()].reduce((sum, bytes) => sum + bytes, 0);
      const cap = (total - 16 * MiB) / 1024 ** 3;
      const override = path.join(overrides, 'cap.yml');
      writeFileSync(override, stringify({ services: Object.fromEntries(workers.map((worker) => [worker, { environment: { JOB_IMAGE_CACHE_GIB: cap.toFixed(9) } }])) }));
      await project.compose(['-f', override, 'up', '-d', '--no-deps', '--wait', ...workers], 600_000);
      // At start each worker prunes: a goes, b (old too, but not needed) and c (recent) stay.
      await project.withDiagnostics(() => until(`${a} to be pruned`, async () => !(await imageExists(a!)), 120_000));
      expect([await imageExists(b!), await imageExists(c!)]).toEqual([true, true]);
      await markOthersUsed();
      const d = await build('d');
      await project.withDiagnostics(() => until(`${b} to be pruned`, async () => !(await imageExists(b!)), 120_000));
      expect([await imageExists(c!), await imageExists(d)]).toEqual([true, true]);
      const { stdout: logs } = await project.compose(['logs', '--no-color', ...workers]);
      expect(logs).toMatch(new RegExp(`"msg":"pruned job images".*${a}|${a}.*"msg":"pruned job images"`));
    } finally {
      user.dispose();
      await project.withDiagnostics(() => project.compose(['up', '-d', '--no-deps', '--wait', ...workers], 600_000));
      rmSync(overrides, { recursive: true, force: true });
      for (const tag of built) await runCommand(dockerBinary, ['image', 'rm', tag], { env: dockerEnv() });
    }
  }, 1_200_000);
}

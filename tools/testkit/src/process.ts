import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

/** A service process started for tests. `stop()` ends it (SIGTERM, then SIGKILL after 10 s). */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** Last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts `command` with `args`, keeping a tail of its output. The process dies with the test run. */
export function startProcess(name: string, command: string, args: string[], options: SpawnOptions = {}): RunningProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`${name}: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    child,
    output: () => tail,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `probe` every 100 ms until it resolves true, the process exits, or `timeoutMs` passes.
 *
 * @throws Error with the process's recent output when it exits or the time runs out.
 */
export async function waitUntilReady(name: string, proc: RunningProcess, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${name} exited with code ${proc.child.exitCode} before it was ready:\n${proc.output()}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await proc.stop();
  throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${proc.output()}`);
}

/**
 * A random secret, 24 bytes of entropy in hex (test-only credentials, never written to disk). Hex,
 * not base64url: a secret starting with "-" is taken for an option by command-line tools (mc).
 */
export async function secret(): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(24).toString('hex');
}

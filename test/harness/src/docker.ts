import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The engine's own client: Debian's /usr/bin/docker matches the engine tools/provision starts;
 * another `docker` earlier on PATH may be a newer client without the plugins we build.
 */
export const dockerBinary = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Environment for docker and compose calls: the shims folder first, so compose finds the same client. */
export function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const shims = `${process.env['PLZ_TOOLS_DIR'] ?? '/opt/plz-tools'}/shims`;
  return { ...process.env, PATH: `${shims}:${process.env['PATH'] ?? ''}`, ...extra };
}

/** Runs `docker ARGS`; resolves with stdout and stderr, rejects with both in the message. */
export async function docker(args: string[], options: ExecFileOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    const result = await run(dockerBinary, args, { maxBuffer: 64 * 1024 * 1024, ...options, env: options.env ?? dockerEnv(), encoding: 'utf8' });
    return { stdout: String(result.stdout), stderr: String(result.stderr) };
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A compose project: one compose file, a project name and its environment. */
export class ComposeProject {
  constructor(
    readonly file: string,
    readonly name: string,
    readonly env: Record<string, string>,
  ) {}

  /** Runs `docker compose -f FILE -p NAME ARGS`. */
  compose(args: string[], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string }> {
    return docker(['compose', '-f', this.file, '-p', this.name, ...args], { env: dockerEnv(this.env), timeout: timeoutMs });
  }

  /** `ps` and the last 200 log lines of every service, for failure reports. */
  async diagnostics(): Promise<string> {
    const ps = await this.compose(['ps', '-a']).catch((e: Error) => ({ stdout: e.message }));
    const logs = await this.compose(['logs', '--no-color', '--tail', '200']).catch((e: Error) => ({ stdout: e.message }));
    return `--- docker compose ps\n${ps.stdout}\n--- docker compose logs\n${logs.stdout}`;
  }

  /** Runs `fn`; on failure, prints the project's diagnostics before rethrowing. */
  async withDiagnostics<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      process.stderr.write(`${await this.diagnostics()}\n`);
      throw error;
    }
  }
}

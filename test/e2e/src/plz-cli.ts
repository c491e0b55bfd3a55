import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type Result } from '@plz/test-harness';

// Shared with the fault suite (@plz/faults) through @plz/test-harness.
export { runCommand, type Result };

const root = fileURLToPath(new URL('../../../', import.meta.url));
const currentCli = path.join(root, 'cli/dist/index.js');

/** The `plz` CLI pointed at one deployment, as a user on this machine would run it. */
export class PlzUser {
  private readonly home = mkdtempSync(path.join(tmpdir(), 'plz-e2e-user-'));

  /** `cliEntry`: the CLI's compiled entry point; this checkout's by default, another release's to run that one. */
  constructor(
    readonly url: string,
    readonly token: string,
    readonly cliEntry: string = currentCli,
  ) {}

  /** Runs `plz ARGS` in `cwd`. */
  plz(cwd: string, args: string[], timeoutMs = 900_000, env: Record<string, string> = {}): Promise<Result> {
    return runCommand(process.execPath, [this.cliEntry, ...args], {
      cwd,
      timeoutMs,
      env: { PATH: process.env['PATH'] ?? '', HOME: this.home, XDG_CACHE_HOME: path.join(this.home, 'cache'), PLZ_URL: this.url, PLZ_TOKEN: this.token, ...env },
    });
  }

  /** Runs `plz --json ARGS` and parses what it printed; throws with the output when it failed. */
  async json<T>(cwd: string, args: string[]): Promise<T> {
    const result = await this.plz(cwd, ['--json', ...args]);
    if (result.status !== 0) throw new Error(`plz ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** A copy of `examples/<name>` to run from (its output lands there, not in the repository). */
  example(name: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), `plz-e2e-${name}-`));
    cpSync(path.join(root, 'examples', name), dir, { recursive: true });
    return dir;
  }

  /** A fresh project folder holding `files` (path → content). */
  project(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'plz-e2e-project-'));
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    return dir;
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The execution id `plz run` printed ("execution <id> queued ..."). */
export function executionIdIn(output: string): string {
  const match = /execution ([0-9a-f-]{36}) queued/.exec(output);
  if (!match) throw new Error(`no execution id in:\n${output}`);
  return match[1]!;
}

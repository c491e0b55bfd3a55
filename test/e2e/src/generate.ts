import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs the real `yo plz-deploy DIR --skip-prompts FLAGS` from the repository (yo finds the
 * workspace's generator). yo, run as root, drops to uid 1000: the folder and its HOME must be
 * writable by that user. The deployment does not depend on the machine: no GPU workers by default
 * (`--host-gpus none`: nvidia-smi is not asked) and no host CA certificate copied
 * (`--no-copy-host-ca-certificates`: the tests copy the repository's own where they want them).
 * In a folder generated before, pass `--force` among the flags: yo asks before overwriting a changed
 * file otherwise, and without a terminal that question fails ("User force closed the prompt").
 */
export async function generateDeployment(directory: string, flags: string[]): Promise<void> {
  await generateWith(root, directory, ['--host-gpus', 'none', '--no-copy-host-ca-certificates', ...flags]);
}

/**
 * Runs `yo plz-deploy DIR --skip-prompts FLAGS` with the yo and generator of the plz checkout
 * `checkout` (its `node_modules/.bin/yo`, the generator built there), so that a deployment of
 * another release is written from that release's templates and sources. Throws yo's error (its
 * output included) when it fails or runs past 2 minutes.
 */
export async function generateWith(checkout: string, directory: string, flags: string[]): Promise<void> {
  chmodSync(path.dirname(directory), 0o755);
  mkdirSync(directory, { recursive: true });
  chmodSync(directory, 0o777);
  const home = mkdtempSync(path.join(tmpdir(), 'plz-e2e-home-'));
  chmodSync(home, 0o777);
  try {
    await run(path.join(checkout, 'node_modules/.bin/yo'), ['plz-deploy', directory, '--skip-prompts', ...flags], {
      cwd: checkout,
      env: { ...process.env, HOME: home, NO_UPDATE_NOTIFIER: '1' },
      timeout: 120_000,
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

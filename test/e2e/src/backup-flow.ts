import { expect, it } from '@jest/globals';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { results, settled } from './deployment-results.js';
import type { ComposeProject } from './docker.js';
import { dockerBinary, dockerEnv } from './docker.js';
import { generateDeployment } from './generate.js';
import { runCommand, type Result } from './plz-cli.js';

/** What the backup flow needs from the running deployment, and how it hands over the restored one. */
export interface BackupContext {
  url: string;
  token: string;
  project: ComposeProject;
  /** The deployment folder. */
  directory: string;
  /** A folder of this test run for the backup and the restored deployment (removed at the end). */
  base: string;
  /** The flags the deployment was generated with: the restored folder is generated with the same. */
  generateFlags: string[];
  /** Makes the restored folder the test's deployment for the tests after this flow; resolves with its URL. */
  adopt(directory: string): Promise<string>;
}

const bash = (script: string, args: string[], cwd: string): Promise<Result> => runCommand('bash', [script, ...args], { cwd, env: dockerEnv(), timeoutMs: 900_000 });
const expectSuccess = (result: Result, what: string): void => {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
};

/**
 * Issue 18, backup and restore on the running deployment, once its data is rich (after the other
 * flows): scripts/backup.sh while it runs; a truncated copy of the backup refused by
 * scripts/restore.sh in a freshly generated folder, changing nothing; `docker compose down -v`
 * (every volume gone); scripts/restore.sh of the backup in that folder, which starts the
 * deployment; then every execution's record, log, output files, measures, every project's history
 * and every MLflow run are what they were before. The restored folder then becomes the test's
 * deployment (`adopt`), so that the tests after this flow run on the restored deployment.
 */
export function backupFlow(context: () => BackupContext): void {
  it('backs up the running deployment, refuses a truncated copy, and restores it after down -v into a new folder with every result identical', async () => {
    const { url, token, project, directory, base, generateFlags } = context();
    const started = Date.now();
    await settled(url, token, 120_000);
    const before = await results(url, token);

    const backup = path.join(base, 'backup');
    const backupStarted = Date.now();
    const backedUp = await bash('scripts/backup.sh', [backup], directory);
    expectSuccess(backedUp, 'scripts/backup.sh');
    const backupMs = Date.now() - backupStarted;
    expect(backedUp.stderr).toMatch(/plz backup: done: /);
    expect(statSync(backup).mode & 0o777).toBe(0o700);
    const readableByOthers = await runCommand('find', [backup, '-perm', '/077']);
    expect(readableByOthers.stdout).toBe('');
    expect(readFileSync(path.join(backup, 'MANIFEST'), 'utf8')).toMatch(/^plz-backup 1\ncreated \S+\ndeployment \S+\n[\s\S]*\nfile [0-9a-f]{64} \d+ db\/restapi\.dump\n[\s\S]*\nend \d+ \d+\n$/);
    expect(readdirSync(path.join(backup, 'minio')).sort()).toEqual(['mlflow', 'plz-inputs', 'plz-snapshots']);

    // A new folder from the same answers, as on a new host; a truncated copy of the backup is refused there.
    const restored = path.join(base, 'restored');
    await generateDeployment(restored, generateFlags);
    const truncated = path.join(base, 'backup-truncated');
    cpSync(backup, truncated, { recursive: true });
    const dump = path.join(truncated, 'db', 'mlflow.dump');
    truncateSync(dump, Math.floor(statSync(dump).size / 2));
    const refused = await bash('scripts/restore.sh', [truncated], restored);
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/does not match its MANIFEST \(1 problems\), so it is refused and nothing was changed:\n\s+wrong size: db\/mlflow\.dump /)]);
    expect(existsSync(path.join(restored, '.env'))).toBe(false);

    // The disk dies: the deployment and its volumes are gone.
    await project.compose(['--profile', 'init', 'down', '-v'], 600_000);
    const volumes = await runCommand(dockerBinary, ['volume', 'ls', '--quiet', '--filter', `label=com.docker.compose.project=${project.name}`], { env: dockerEnv() });
    expect(volumes.stdout.trim()).toBe('');

    const restoreStarted = Date.now();
    const restoredRun = await bash('scripts/restore.sh', [backup], restored);
    expectSuccess(restoredRun, 'scripts/restore.sh');
    const restoreMs = Date.now() - restoreStarted;
    expect(restoredRun.stderr).toMatch(/plz restore: done in /);
    // The files came back with their modes, not the backup's private ones: the workers' unprivileged
    // user reads the extra CA certificates for every job image build (EACCES before modes.txt).
    for (const name of ['.env', 'secrets', 'ssl', 'ssl/ca-certificates']) {
      expect([name, statSync(path.join(restored, name)).mode & 0o7777]).toEqual([name, statSync(path.join(directory, name)).mode & 0o7777]);
    }

    const newUrl = await context().adopt(restored);
    const after = await results(newUrl, token);
    const executions = (before['executions'] as string[]).length;
    process.stderr.write(
      `backup flow: ${executions} executions; backup ${(backupMs / 1000).toFixed(1)} s (${readFileSync(path.join(backup, 'MANIFEST'), 'utf8').match(/^end (.*)$/m)?.[1]} files/bytes), ` +
        `restore ${(restoreMs / 1000).toFixed(1)} s, flow ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    expect(after).toEqual(before);
  }, 1_800_000);
}

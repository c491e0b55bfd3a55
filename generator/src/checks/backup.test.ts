import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { render, type Rendered } from '../testing/deployment.js';

const run = promisify(execFile);

/** The files of a small fake backup, as scripts/backup.sh lays them out (path → content). */
const backupFiles: Record<string, string> = {
  'db/restapi.dump': 'PGDMP restapi '.repeat(100),
  'db/mlflow.dump': 'PGDMP mlflow '.repeat(100),
  'minio/plz-snapshots/aa.tar.gz': 'snapshot',
  'minio/mlflow/1/run/artifacts/output/a name with spaces.txt': 'output',
  'files/.env': 'POSTGRES_PASSWORD=x\n',
  'files/.yo-rc.json': '{}\n',
  'files/secrets/admin-token': 'plz_token',
};

/**
 * Writes the fake backup and its MANIFEST into a new folder under `parent`, computing sizes and
 * sha256 here (a second implementation of the format of scripts/lib/backup.sh).
 */
function fakeBackup(parent: string, deployment: string): string {
  const directory = mkdtempSync(path.join(parent, 'backup-'));
  const lines = ['plz-backup 1', 'created 2026-01-01T00:00:00Z', `deployment ${deployment}`, 'generator generator-plz-deploy 0.1.0', 'plz-version 0.1.0'];
  let bytes = 0;
  for (const [file, content] of Object.entries(backupFiles).sort(([a], [b]) => (a < b ? -1 : 1))) {
    mkdirSync(path.dirname(path.join(directory, file)), { recursive: true });
    writeFileSync(path.join(directory, file), content);
    lines.push(`file ${createHash('sha256').update(content).digest('hex')} ${Buffer.byteLength(content)} ${file}`);
    bytes += Buffer.byteLength(content);
  }
  lines.push(`end ${Object.keys(backupFiles).length} ${bytes}`);
  writeFileSync(path.join(directory, 'MANIFEST'), `${lines.join('\n')}\n`);
  return directory;
}

describe('scripts/restore.sh --check: the manifest of a backup (no Docker needed)', () => {
  let deployment: Rendered;
  let parent = '';
  let backup = '';
  const check = (restoreArgs: string[] = ['--check', backup]) => run('bash', ['scripts/restore.sh', ...restoreArgs], { cwd: deployment.directory });
  const refusal = async (pattern: RegExp, restoreArgs?: string[]): Promise<void> => {
    const error = (await check(restoreArgs).then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { code?: number; stderr?: string }) | undefined;
    expect(error).toBeDefined();
    expect([error?.code, error?.stderr]).toEqual([1, expect.stringMatching(pattern)]);
    expect(error?.stderr).toMatch(/nothing was changed/);
    expect(existsSync(path.join(deployment.directory, '.env'))).toBe(false);
  };

  beforeAll(async () => {
    deployment = await render({ name: 'restored' });
    parent = mkdtempSync(path.join(tmpdir(), 'plz-backup-test-'));
  }, 120_000);
  afterAll(() => {
    deployment.remove();
    rmSync(parent, { recursive: true, force: true });
  });
  beforeEach(() => {
    backup = fakeBackup(parent, 'restored');
  });

  it('accepts a whole backup, saying what it holds', async () => {
    const { stderr } = await check();
    expect(stderr).toMatch(/the backup is whole \(checked in \d+ s\): 7 files, made 2026-01-01T00:00:00Z of deployment restored \(generator-plz-deploy 0\.1\.0, plz 0\.1\.0\)/);
  });

  it('refuses a backup with a file missing', async () => {
    unlinkSync(path.join(backup, 'minio/plz-snapshots/aa.tar.gz'));
    await refusal(/does not match its MANIFEST \(1 problems\)[\s\S]*missing: minio\/plz-snapshots\/aa\.tar\.gz/);
  });

  it('refuses a truncated file by its size', async () => {
    truncateSync(path.join(backup, 'db/mlflow.dump'), 10);
    await refusal(/wrong size: db\/mlflow\.dump \(10 bytes, the manifest says 1300\)/);
  });

  it('refuses a file of the right size with other bytes by its sha256', async () => {
    const file = path.join(backup, 'minio/mlflow/1/run/artifacts/output/a name with spaces.txt');
    writeFileSync(file, readFileSync(file, 'utf8').toUpperCase());
    await refusal(/wrong sha256: minio\/mlflow\/1\/run\/artifacts\/output\/a name with spaces\.txt/);
  });

  it('refuses a file the manifest does not list', async () => {
    writeFileSync(path.join(backup, 'db/extra.dump'), 'x');
    await refusal(/not in the manifest: db\/extra\.dump/);
  });

  it('refuses a backup without a manifest (one that stopped half-way)', async () => {
    unlinkSync(path.join(backup, 'MANIFEST'));
    await refusal(/has no MANIFEST: it is no complete plz backup/);
  });

  it('refuses a manifest cut short, or changed', async () => {
    const manifest = readFileSync(path.join(backup, 'MANIFEST'), 'utf8');
    writeFileSync(path.join(backup, 'MANIFEST'), manifest.slice(0, manifest.indexOf('\nend ') + 1));
    await refusal(/MANIFEST has no end line: it was cut short/);
    writeFileSync(path.join(backup, 'MANIFEST'), manifest.replace(/^file .* files\/\.env\n/m, ''));
    await refusal(/MANIFEST ends with "end 7 \d+" but lists 6 files/);
    appendFileSync(path.join(backup, 'MANIFEST'), 'file 0 0 x\n');
    await refusal(/MANIFEST goes on after its end line/);
  });

  it('refuses, before any check of Docker, a backup of another deployment and a folder initialised already', async () => {
    await refusal(/the backup is of the deployment "other", this folder is "restored"/, [fakeBackup(parent, 'other')]);
    writeFileSync(path.join(deployment.directory, '.env'), '');
    try {
      const error = (await check([backup]).then(
        () => undefined,
        (e: unknown) => e,
      )) as (Error & { stderr?: string }) | undefined;
      expect(error?.stderr).toMatch(/this folder has a \.env: it was initialised already.*nothing was changed/);
    } finally {
      rmSync(path.join(deployment.directory, '.env'));
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { listFiles } from '../render/templates.js';
import { render, type Rendered } from '../testing/deployment.js';

const run = promisify(execFile);

describe('the deployment scripts', () => {
  let deployment: Rendered;
  let scripts: string[];
  beforeAll(async () => {
    deployment = await render();
    scripts = listFiles(deployment.directory, (name) => ['services', 'packages'].includes(name)).filter((file) => file.endsWith('.sh'));
  }, 120_000);
  afterAll(() => deployment.remove());

  it('are all found', () => {
    expect(scripts).toEqual(expect.arrayContaining(['init-deployment.sh', 'scripts/lib/common.sh', 'scripts/init/20-create-secrets.sh', 'config/minio/setup.sh']));
    expect(scripts.filter((file) => file.startsWith('scripts/init/'))).toHaveLength(11);
  });

  it('pass shellcheck, following what they source', async () => {
    const result = await run('shellcheck', ['-x', '--severity=style', ...scripts], { cwd: deployment.directory }).catch((error: Error & { stdout?: string }) => ({ stdout: error.stdout ?? error.message }));
    expect(result.stdout).toBe('');
  }, 60_000);

  it('are executable where they are run directly', async () => {
    const { stdout } = await run('find', ['init-deployment.sh', 'scripts/init', '-name', '*.sh', '!', '-perm', '-u+x'], { cwd: deployment.directory });
    expect(stdout).toBe('');
  });

  it('print their usage with --help', async () => {
    const { stdout } = await run('bash', ['init-deployment.sh', '--help'], { cwd: deployment.directory });
    expect(stdout).toMatch(/--enable-nginx-ssl[\s\S]*--rotate-secrets/);
  });

  it('refuse unknown options', async () => {
    await expect(run('bash', ['init-deployment.sh', '--enable-everything'], { cwd: deployment.directory })).rejects.toThrow(/unknown option "--enable-everything"/);
  });
});

describe('a deployment generated with --https', () => {
  let deployment: Rendered;
  beforeAll(async () => {
    deployment = await render({ https: true });
  }, 120_000);
  afterAll(() => deployment.remove());

  it('wants its certificate at the first init, saying where it goes and how to do without', async () => {
    const step = run('bash', ['scripts/init/40-check-tls-certificates.sh'], { cwd: deployment.directory });
    await expect(step).rejects.toThrow(/TLS is on for nginx but ssl\/nginx\/server\.crt is missing: copy it there \(see ssl\/nginx\/README\.md\), or run \.\/init-deployment\.sh --disable-nginx-ssl/);
  });
});

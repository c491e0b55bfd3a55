import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
    const { stdout } = await run('find', ['init-deployment.sh', 'scripts/init', 'scripts/backup.sh', 'scripts/restore.sh', '-name', '*.sh', '!', '-perm', '-u+x'], { cwd: deployment.directory });
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

/** Step 40 of init as `./init-deployment.sh [--disable-nginx-ssl]` runs it (no container is needed with TLS off). */
const tlsStep = (directory: string, nginxSsl = '') =>
  run('bash', ['scripts/init/40-check-tls-certificates.sh'], { cwd: directory, env: { ...process.env, PLZ_INIT_NGINX_SSL: nginxSsl } });
const envFile = (deployment: Rendered): string => (existsSync(path.join(deployment.directory, '.env')) ? deployment.read('.env') : '');

describe('plain HTTP on a bind address that is not loopback', () => {
  const made: Rendered[] = [];
  const make = async (options: Record<string, unknown>): Promise<Rendered> => {
    const deployment = await render(options);
    made.push(deployment);
    return deployment;
  };
  afterAll(() => made.forEach((deployment) => deployment.remove()));

  it('is refused by init --disable-nginx-ssl, saying why and what to do, changing nothing', async () => {
    const deployment = await make({ 'bind-address': '0.0.0.0', https: true });
    const refusal = /refusing --disable-nginx-ssl: NGINX publishes its ports on 0\.0\.0\.0, which is not loopback: without HTTPS, API tokens and browser session cookies would cross the network in clear text; keep HTTPS on .*--bind-address 127\.0\.0\.1 .*--allow-plain-http.*nothing was changed/;
    await expect(tlsStep(deployment.directory, 'off')).rejects.toThrow(refusal);
    expect(envFile(deployment)).not.toContain('PLZ_NGINX_SITE');
  }, 120_000);

  it('leaves a deployment with HTTPS on and no certificate only the certificate as the way out', async () => {
    const deployment = await make({ 'bind-address': '10.0.0.5', https: true });
    const message = await tlsStep(deployment.directory).then(() => 'step 40 passed', (error: Error) => error.message);
    expect(message).toMatch(/ssl\/nginx\/server\.crt is missing: copy it there \(see ssl\/nginx\/README\.md\) \(plain HTTP is refused on 10\.0\.0\.5, which is not loopback/);
    expect(message).not.toMatch(/--disable-nginx-ssl/);
  }, 120_000);

  it('refuses a plain HTTP state remembered in .env too', async () => {
    const deployment = await make({ 'bind-address': '0.0.0.0', https: true });
    writeFileSync(path.join(deployment.directory, '.env'), 'PLZ_NGINX_SITE=http\n', { mode: 0o600 });
    await expect(tlsStep(deployment.directory)).rejects.toThrow(/NGINX would serve plain HTTP \(PLZ_NGINX_SITE=http in \.env\).*run \.\/init-deployment\.sh --enable-nginx-ssl/);
  }, 120_000);

  it('is accepted where the deployment allows it, and on loopback', async () => {
    for (const options of [{ 'bind-address': '0.0.0.0', https: true, 'allow-plain-http': true }, { https: true }, { 'bind-address': '::1' }]) {
      const deployment = await make(options);
      await tlsStep(deployment.directory, 'off');
      expect([options, envFile(deployment)]).toEqual([options, expect.stringContaining('PLZ_NGINX_SITE=http\n')]);
    }
  }, 120_000);
});

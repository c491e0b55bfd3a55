import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listFiles } from '../render/templates.js';
import { render, type Rendered } from '../testing/deployment.js';
import { docker, dummySecrets, toolsPath } from '../testing/docker.js';

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
    expect(scripts.filter((file) => file.startsWith('scripts/init/'))).toHaveLength(14);
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

/** `render` for one describe block: what it renders is removed after the block. */
function renderedInThisBlock(): (options: Record<string, unknown>) => Promise<Rendered> {
  const made: Rendered[] = [];
  afterAll(() => made.forEach((deployment) => deployment.remove()));
  return async (options) => {
    const deployment = await render(options);
    made.push(deployment);
    return deployment;
  };
}

describe('plain HTTP on a bind address that is not loopback', () => {
  const make = renderedInThisBlock();

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

describe("the workers' web URL (PLZ_WEB_URL in .env, step 40)", () => {
  const make = renderedInThisBlock();

  it('is the HTTP URL while NGINX serves plain HTTP, and a second run changes nothing', async () => {
    const deployment = await make({});
    await tlsStep(deployment.directory, 'off');
    expect(envFile(deployment)).toContain('PLZ_WEB_URL=http://localhost\n');
    const before = envFile(deployment);
    const again = await tlsStep(deployment.directory);
    expect(envFile(deployment)).toBe(before);
    expect(again.stderr).not.toContain('PLZ_WEB_URL');
  }, 120_000);

  it('keeps the port users type, and is added by a later run to a .env written before it existed (upgrade)', async () => {
    const deployment = await make({ 'http-port': '8080', 'server-name': 'gpu-box.example' });
    writeFileSync(path.join(deployment.directory, '.env'), 'PLZ_NGINX_SITE=http\nPLZ_POSTGRES_SSL=off\n', { mode: 0o600 });
    const step = await tlsStep(deployment.directory);
    expect(envFile(deployment)).toContain('PLZ_WEB_URL=http://gpu-box.example:8080\n');
    expect(step.stderr).toContain('MLflow runs link to execution pages at http://gpu-box.example:8080/executions/<id>');
  }, 120_000);

  it('is empty where Docker chooses the port (no fixed URL: the workers link by path)', async () => {
    const deployment = await make({ 'http-port': '0' });
    await tlsStep(deployment.directory, 'off');
    expect(envFile(deployment)).toContain('PLZ_WEB_URL=\n');
  }, 120_000);
});

/**
 * A PATH with only the tools the init steps use (from this machine) and the fakes given: no real
 * nvidia-smi, docker or nvidia-ctk can be found, whatever this machine has.
 */
function sandboxPath(fakes: Record<string, string>): { path: string; remove: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'plz-fake-bin-'));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  for (const tool of ['bash', 'sh', 'env', 'dirname', 'basename', 'cat', 'grep', 'head', 'tr', 'stat', 'chmod', 'mv', 'sed', 'sort', 'wc']) {
    for (const folder of ['/usr/bin', '/bin']) {
      if (existsSync(`${folder}/${tool}`)) {
        symlinkSync(`${folder}/${tool}`, path.join(bin, tool));
        break;
      }
    }
  }
  for (const [name, script] of Object.entries(fakes)) {
    writeFileSync(path.join(bin, name), `#!/bin/bash\n${script}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return { path: bin, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Recorded `nvidia-smi -L` of a host with two H200s, and `docker info --format '{{json .Runtimes}}'` with and without the NVIDIA runtime. */
const twoGpus = 'GPU 0: NVIDIA H200 (UUID: GPU-3a5b0c1d-1111-2222-3333-444455556666)\nGPU 1: NVIDIA H200 (UUID: GPU-7e8f9a0b-1111-2222-3333-444455556666)';
const runcOnly = '{"io.containerd.runc.v2":{"path":"runc"},"runc":{"path":"runc"}}';
const withNvidia = '{"io.containerd.runc.v2":{"path":"runc"},"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}}';
const fakeSmi = (listing: string) => `[ "$1" = -L ] || exit 2\ncat <<'OUT'\n${listing}\nOUT`;
const fakeDocker = (runtimes: string) => `[ "$1" = info ] || exit 2\necho '${runtimes}'`;

describe('init step 15, the NVIDIA checks', () => {
  const made: Rendered[] = [];
  let gpus: Rendered;
  let cpuOnly: Rendered;
  beforeAll(async () => {
    gpus = await render({ gpus: '0,1' });
    cpuOnly = await render();
    made.push(gpus, cpuOnly);
  }, 120_000);
  afterAll(() => made.forEach((deployment) => deployment.remove()));

  const step = async (deployment: Rendered, fakes: Record<string, string>): Promise<string> => {
    const sandbox = sandboxPath(fakes);
    try {
      const { stderr } = await run('bash', ['scripts/init/15-check-nvidia.sh'], { cwd: deployment.directory, env: { PATH: sandbox.path, HOME: deployment.directory } });
      return stderr;
    } finally {
      sandbox.remove();
    }
  };

  it('need nothing without GPU workers', async () => {
    await expect(step(cpuOnly, {})).resolves.toMatch(/no GPU worker: the NVIDIA driver and Container Toolkit are not needed/);
  });

  it('want the driver, saying how to install it, when nvidia-smi is absent', async () => {
    await expect(step(gpus, { docker: fakeDocker(withNvidia) })).rejects.toThrow(/GPU workers are configured \(GPUs 0 1\) but nvidia-smi is not installed: install the NVIDIA driver .*ubuntu-drivers install.*nvidia-driver.*--gpus none; nothing was changed/);
  });

  it('want a driver that answers', async () => {
    const smi = 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."; exit 9';
    await expect(step(gpus, { 'nvidia-smi': smi, docker: fakeDocker(withNvidia) })).rejects.toThrow(/the NVIDIA driver does not answer \(nvidia-smi -L: NVIDIA-SMI has failed because it couldn't communicate/);
  });

  it('want every GPU of the workers on the host', async () => {
    const deployment = await render({ gpus: '0,1,2' });
    made.push(deployment);
    await expect(step(deployment, { 'nvidia-smi': fakeSmi(twoGpus), docker: fakeDocker(withNvidia) })).rejects.toThrow(/GPU 2 of the GPU workers is not on this host: nvidia-smi -L lists 2 GPU\(s\)/);
  }, 120_000);

  it('want the NVIDIA Container Toolkit, saying how to install it', async () => {
    await expect(step(gpus, { 'nvidia-smi': fakeSmi(twoGpus), docker: fakeDocker(runcOnly) })).rejects.toThrow(
      /the NVIDIA Container Toolkit is missing .*Install the package nvidia-container-toolkit .*install-guide\.html\), then run: sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker; nothing was changed/,
    );
  });

  it("pass with docker's nvidia runtime, or with nvidia-ctk installed, listing the GPUs", async () => {
    const stderr = await step(gpus, { 'nvidia-smi': fakeSmi(twoGpus), docker: fakeDocker(withNvidia) });
    expect(stderr).toMatch(/NVIDIA driver and Container Toolkit found; GPUs of the workers: 0 1\n.*GPU 0: NVIDIA H200 \(UUID/);
    await expect(step(gpus, { 'nvidia-smi': fakeSmi(twoGpus), docker: fakeDocker(runcOnly), 'nvidia-ctk': 'exit 0' })).resolves.toMatch(/Container Toolkit found/);
  });
});

describe('init step 45, the extra CA certificates', () => {
  let deployment: Rendered;
  beforeAll(async () => {
    // A name of its own: `compose run` creates the project's db-tls volume, removed afterwards.
    deployment = await render({ name: `plz-ca-test-${process.pid}` });
    writeFileSync(path.join(deployment.directory, '.env'), Object.entries(dummySecrets).map(([key, value]) => `${key}=${value}\n`).join(''), { mode: 0o600 });
  }, 120_000);
  afterAll(async () => {
    await docker(['volume', 'rm', '-f', `plz-ca-test-${process.pid}-db-tls`]).catch(() => undefined);
    deployment.remove();
  });

  const step45 = () => run('bash', ['scripts/init/45-check-ca-certificates.sh'], { cwd: deployment.directory, env: { ...process.env, PATH: toolsPath() } });

  it('says when there is none, and where one goes', async () => {
    const { stderr } = await step45();
    expect(stderr).toContain('no extra CA certificates (ssl/ca-certificates/*.crt): behind a proxy that re-signs TLS, put its root CA there');
  });

  it('names each one in use with its subject', async () => {
    const folder = path.join(deployment.directory, 'ssl', 'ca-certificates');
    for (const [file, name] of [['company-proxy.crt', 'Company Proxy Root CA'], ['lab.crt', 'Lab Root']] as const) {
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/O=Example/CN=${name}`, '-keyout', '/dev/null', '-out', path.join(folder, file)]);
    }
    const { stderr } = await step45();
    expect(stderr).toMatch(/2 extra CA certificate\(s\) in use.*\n.*ssl\/ca-certificates\/company-proxy\.crt: subject=O ?= ?Example, CN ?= ?Company Proxy Root CA\n.*ssl\/ca-certificates\/lab\.crt: subject=O ?= ?Example, CN ?= ?Lab Root/);
    writeFileSync(path.join(folder, 'broken.crt'), 'not a certificate\n');
    await expect(step45()).rejects.toThrow(/ssl\/ca-certificates\/broken\.crt is not a PEM certificate/);
  }, 120_000);
});

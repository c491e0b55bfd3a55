import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { helpers, hostIndependent, render, rendered, type Rendered } from '../../testing/deployment.js';

/** A self-signed CA certificate (PEM) made with openssl, named CN=<name>. */
function makeCertificate(directory: string, file: string, name: string): string {
  const target = path.join(directory, file);
  mkdirSync(path.dirname(target), { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', '/dev/null', '-out', target], { stdio: 'ignore' });
  return readFileSync(target, 'utf8');
}

const caFiles = (deployment: Rendered): string[] => readdirSync(path.join(deployment.directory, 'ssl', 'ca-certificates')).filter((file) => file.endsWith('.crt')).sort();

describe('yo plz-deploy on this host', () => {
  const made: Rendered[] = [];
  const keep = (deployment: Rendered): Rendered => {
    made.push(deployment);
    return deployment;
  };
  let hostCa = '';
  let proxyPem = '';
  beforeAll(() => {
    hostCa = mkdtempSync(path.join(tmpdir(), 'plz-host-ca-'));
    proxyPem = makeCertificate(hostCa, 'company-proxy.crt', 'Company Proxy Root CA');
    makeCertificate(hostCa, 'lab/private-root.crt', 'Lab Private Root');
    writeFileSync(path.join(hostCa, 'README'), 'not a certificate\n');
  });
  afterAll(() => {
    made.forEach((deployment) => deployment.remove());
    rmSync(hostCa, { recursive: true, force: true });
  });

  it('refuses an unknown flag with the closest known one, writing nothing', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plz-unknown-flag-'));
    keep(rendered(directory));
    const run = helpers
      .run('../generators/app/index.js', { autoCleanup: false, tmpdir: false, cwd: directory })
      .withOptions({ ...hostIndependent, 'skip-prompts': true, 'worker-host': 'gpu1.example.org', workerHost: 'gpu1.example.org' } as never);
    await expect(run).rejects.toThrow(/unknown option: nothing was written\n {2}--worker-host \(did you mean --worker-hosts\?\)\n`yo plz-deploy --help` lists every option\./);
    expect(readdirSync(directory)).toEqual([]);
  }, 120_000);

  it('refuses a mistyped flag, naming the one meant', async () => {
    await expect(render({ 'cpu-worker': '2' })).rejects.toThrow('--cpu-worker (did you mean --cpu-workers?)');
  }, 120_000);

  it('gives one GPU worker per GPU the host lists by default', async () => {
    const deployment = keep(await render({ 'host-gpus': '0,1,2,3' }));
    const services = Object.keys(deployment.compose().services).filter((name) => name.startsWith('worker-'));
    expect(services).toEqual(['worker-gpu-0', 'worker-gpu-1', 'worker-gpu-2', 'worker-gpu-3', 'worker-cpu-0']);
    expect(JSON.parse(deployment.read('.yo-rc.json'))['generator-plz-deploy']).toMatchObject({ gpus: '0,1,2,3', cpuWorkers: 1 });
  }, 120_000);

  it("copies the host's extra CA certificates that ssl/ca-certificates/ lacks, by default", async () => {
    const deployment = keep(await render({ 'host-ca-certificates': hostCa }));
    expect(caFiles(deployment)).toEqual(['company-proxy.crt', 'private-root.crt']);
    expect(deployment.read('ssl/ca-certificates/company-proxy.crt')).toBe(proxyPem);
  }, 120_000);

  it('copies only what is missing when run again, and never over a certificate of the same name', async () => {
    const deployment = keep(await render({ 'host-ca-certificates': hostCa }));
    const other = makeCertificate(path.join(deployment.directory, 'ssl', 'ca-certificates'), 'private-root.crt', 'Another Root');
    const again = await helpers
      .run('../generators/app/index.js', { autoCleanup: false, tmpdir: false, cwd: deployment.directory })
      .withOptions({ ...hostIndependent, 'skip-prompts': true, force: true, 'host-ca-certificates': hostCa } as never);
    again.restore();
    expect(caFiles(deployment)).toEqual(['company-proxy.crt', 'host-lab-private-root.crt', 'private-root.crt']);
    expect(deployment.read('ssl/ca-certificates/private-root.crt')).toBe(other);
  }, 120_000);

  it('copies none with --no-copy-host-ca-certificates', async () => {
    const deployment = keep(await render({ 'host-ca-certificates': hostCa, 'copy-host-ca-certificates': false }));
    expect(caFiles(deployment)).toEqual([]);
  }, 120_000);

  it('asks before copying when it prompts, naming the certificates', async () => {
    const result = await helpers
      .run('../generators/app/index.js', { autoCleanup: false })
      .withOptions({ ...hostIndependent, 'host-ca-certificates': hostCa } as never)
      .withAnswers({ copy: false });
    result.restore();
    const deployment = keep(rendered(result.cwd));
    const question = result.askedQuestions.find((asked) => asked.name === 'copy');
    expect(question).toBeDefined();
    expect(caFiles(deployment)).toEqual([]);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jobImageTag } from '@plz/contracts';
import { createTestBed, dockerCli, type TestBed } from './harness.js';

const run = promisify(execFile);

/** True when the IPv4 `address` is inside `cidr`. */
const inSubnet = (address: string, cidr: string): boolean => {
  const [base, bits] = cidr.split('/');
  const number = (ip: string) => ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(number(address) / size) === Math.floor(number(base!) / size);
};

describe('worker: job image builds are contained', () => {
  let bed: TestBed;

  beforeAll(async () => {
    bed = await createTestBed('buildlimits');
    await bed.startWorker(`cpu-buildlimits-${process.pid}`, { JOB_BUILD_TIMEOUT_SECONDS: '15' });
  }, 120_000);

  afterAll(async () => {
    await bed?.close();
  }, 60_000);

  it('builds on the jobs network, and refuses a Dockerfile FROM another execution\'s image by tag or id', async () => {
    const code = "import socket; print('build address', socket.gethostbyname(socket.gethostname()))";
    const snapshot = await bed.snapshot({ Dockerfile: `# ${bed.runId} first\nFROM python:3.11-slim-bookworm\nRUN ${JSON.stringify(['python', '-c', code])}\nCMD ["python", "-c", "print('secret code')"]\n` });
    const first = await bed.submit({ snapshot });
    expect(await bed.waitForState(first.id)).toMatchObject({ state: 'succeeded' });
    const address = (await bed.logEntries(first.id)).map((entry) => entry['line'] ?? '').find((line) => line.startsWith('build address '))!.slice('build address '.length);
    const { stdout: subnet } = await run(dockerCli, ['network', 'inspect', bed.network, '--format', '{{(index .IPAM.Config 0).Subnet}}']);
    expect(inSubnet(address, subnet.trim())).toBe(true);

    const tag = jobImageTag(snapshot);
    const { stdout: imageId } = await run(dockerCli, ['image', 'inspect', tag, '--format', '{{.Id}}']);
    const shortId = imageId.trim().slice('sha256:'.length, 'sha256:'.length + 12);
    for (const from of [`FROM ${tag}`, `FROM docker.io/library/${tag} AS stolen`, `FROM ${shortId}`, `FROM python:3.11-slim-bookworm\nCOPY --from=${tag} / /stolen`]) {
      const thief = await bed.submit({ snapshot: await bed.snapshot({ Dockerfile: `# ${bed.runId} ${from}\n${from}\nCMD ["ls", "/"]\n` }) });
      const row = await bed.waitForState(thief.id);
      expect(row).toMatchObject({ state: 'error' });
      expect(row['error']).toContain(`refused \`${from.split('\n').at(-1)}\``);
      expect((await bed.logEntries(thief.id)).some((entry) => entry['stream'] === 'build')).toBe(false);
    }
  }, 180_000);

  it('abandons a build past its time limit with a clear reason', async () => {
    const snapshot = await bed.snapshot({ Dockerfile: `# ${bed.runId} slow\nFROM python:3.11-slim-bookworm\nRUN sleep 120\n` });
    const started = Date.now();
    const { id } = await bed.submit({ snapshot });
    const row = await bed.waitForState(id, undefined, 90_000);
    expect(row).toMatchObject({ state: 'error', error: 'image build failed: the build ran past its time limit of 15 s (JOB_BUILD_TIMEOUT_SECONDS)' });
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dockerClient } from '../adapters/docker/client.js';
import { ensureJobsNetwork, isolateJobsFromHost } from '../adapters/docker/jobsNetwork.js';
import { dockerCli } from './harness.js';

const run = promisify(execFile);

/**
 * The jobs network on the real engine: created with containers kept apart, and the host's own
 * addresses closed to it by an iptables rule the worker installs through the Docker API. Traffic
 * goes only to this machine: a TCP server of this test on every address, reached (or not) through
 * the bridges' gateways, and containers started here.
 */
describe('worker: the jobs network keeps jobs away from the host and from each other', () => {
  const id = randomBytes(4).toString('hex');
  const jobs = `plz-test-isolated-jobs-${id}`;
  const control = `plz-test-control-${id}`;
  const image = `plz-test-iptables:${id}`;
  const docker = dockerClient(undefined);
  let server: Server;
  let port = 0;
  let bridge = '';

  /** `open` or `closed`: a container on `network` connecting to its gateway on the test server's port. */
  const probe = async (network: string): Promise<string> => {
    const { stdout: gateway } = await run(dockerCli, ['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}']);
    const { stdout } = await run(dockerCli, ['run', '--rm', '--network', network, 'debian:bookworm-slim', 'bash', '-c',
      `timeout 3 bash -c '</dev/tcp/${gateway.trim()}/${port}' 2>/dev/null && echo open || echo closed`]);
    return stdout.trim();
  };

  beforeAll(async () => {
    // An image with iptables, as the worker's own image has.
    const building = run(dockerCli, ['build', '-q', '-t', image, '-']);
    building.child.stdin?.end('FROM debian:bookworm-slim\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends iptables >/dev/null && rm -rf /var/lib/apt/lists/*\n');
    await building;
    server = createServer((socket) => {
      socket.on('error', () => undefined); // probes close at once
      socket.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    port = (server.address() as AddressInfo).port;
    await run(dockerCli, ['network', 'create', control]);
  }, 300_000);

  afterAll(async () => {
    if (bridge) {
      await run(dockerCli, ['run', '--rm', '--network', 'host', '--cap-add', 'NET_ADMIN', '--user', '0:0', '--entrypoint', 'sh', image, '-c',
        `for ipt in iptables-nft iptables-legacy; do while $ipt -w -D INPUT -i ${bridge} -j DROP 2>/dev/null; do :; done; done`]).catch(() => undefined);
    }
    await run(dockerCli, ['network', 'rm', jobs]).catch(() => undefined);
    await run(dockerCli, ['network', 'rm', control]).catch(() => undefined);
    await run(dockerCli, ['image', 'rm', '-f', image]).catch(() => undefined);
    await new Promise((resolve) => server?.close(resolve));
  }, 120_000);

  it('creates the network with containers kept apart, once, and refuses one that lets them talk', async () => {
    bridge = await ensureJobsNetwork(docker, jobs, { 'org.plz.test': id });
    expect(bridge).toMatch(/^br-[0-9a-f]{12}$/);
    expect(await ensureJobsNetwork(docker, jobs)).toBe(bridge);
    const { stdout } = await run(dockerCli, ['network', 'inspect', jobs, '--format', '{{index .Options "com.docker.network.bridge.enable_icc"}}']);
    expect(stdout.trim()).toBe('false');
    await expect(ensureJobsNetwork(docker, control)).rejects.toThrow(/lets its containers reach each other/);
  });

  it('ends with one network when several workers create it at once', async () => {
    const racing = `${jobs}-race`;
    try {
      const bridges = await Promise.all(Array.from({ length: 4 }, () => ensureJobsNetwork(docker, racing, { 'org.plz.test': id })));
      expect(new Set(bridges).size).toBe(1);
      const { stdout } = await run(dockerCli, ['network', 'ls', '--filter', `name=^${racing}$`, '--format', '{{.ID}}']);
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      await run(dockerCli, ['network', 'rm', racing]).catch(() => undefined);
    }
  });

  it('closes the host to jobs once isolated: the gateway port answers before, not after; other bridges still reach it', async () => {
    expect(await probe(jobs)).toBe('open');
    const output = await isolateJobsFromHost(docker, bridge, image, { 'org.plz.test': id });
    expect(output).toMatch(new RegExp(`INPUT from ${bridge} dropped`));
    expect(await isolateJobsFromHost(docker, bridge, image)).toMatch(/already dropped/);
    expect(await probe(jobs)).toBe('closed');
    expect(await probe(control)).toBe('open');
    // No helper container is left behind.
    const { stdout } = await run(dockerCli, ['ps', '-a', '--filter', 'label=org.plz.role=jobs-isolation', '--format', '{{.ID}}']);
    expect(stdout.trim()).toBe('');
  }, 120_000);

  it('keeps jobs from reaching each other', async () => {
    const { stdout: target } = await run(dockerCli, ['run', '-d', '--rm', '--network', jobs, 'debian:bookworm-slim', 'sleep', '60']);
    try {
      const { stdout: address } = await run(dockerCli, ['inspect', target.trim(), '--format', `{{(index .NetworkSettings.Networks "${jobs}").IPAddress}}`]);
      // Another job connects to a closed port of the first: with containers kept apart the packets are
      // dropped and the attempt times out (124); a refusal (1) would mean they reached it.
      const { stdout } = await run(dockerCli, ['run', '--rm', '--network', jobs, 'debian:bookworm-slim', 'bash', '-c',
        `timeout 3 bash -c '</dev/tcp/${address.trim()}/9' 2>/dev/null; echo "exit $?"`]);
      expect(stdout.trim()).toBe('exit 124');
    } finally {
      await run(dockerCli, ['rm', '-f', target.trim()]).catch(() => undefined);
    }
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRedis, type RedisService } from '@plz/testkit';
import { dockerClient } from '../../adapters/docker/client.js';
import { DockerContainers } from '../../adapters/docker/containers.js';
import { DockerImages } from '../../adapters/docker/images.js';
import { ImageUses } from '../../adapters/redis/imageUses.js';
import { createLogger } from '../../logger.js';
import { pruneJobImages } from './cache.js';

const run = promisify(execFile);
const dockerCli = '/usr/bin/docker';
const label = 'org.plz.test-run';
const standIns = ['debian:bookworm-slim', 'python:3.11-slim-bookworm', 'redis:7.0-bookworm', 'postgres:15-bookworm'];
const MiB = 1024 ** 2;

// On the real Docker engine and a real Redis: small images built here, tagged plz-job:test-<random>.
describe('pruneJobImages', () => {
  const runId = `cache-${randomBytes(4).toString('hex')}`;
  const docker = dockerClient(process.env['DOCKER_HOST']);
  const images = new DockerImages(docker);
  const containers = new DockerContainers(docker);
  const tag = (name: string) => `plz-job:test-${runId}-${name}`;
  const names = ['none', 'keep', 'used', 'old', 'middle', 'recent'] as const;
  let redisService: RedisService;
  let redis: Redis;
  let uses: ImageUses;
  let container: string | undefined;
  let imageBytes = 0;

  beforeAll(async () => {
    redisService = await startRedis();
    redis = new Redis(redisService.url);
    uses = new ImageUses(redis, `engine-${runId}`);
    // A 1 MiB layer of its own each (the command differs, so no build cache is shared).
    for (const name of names) {
      const dockerfile = `FROM debian:bookworm-slim\nRUN head -c ${MiB} /dev/urandom > /blob && echo ${runId}-${name} > /name\n`;
      const build = run(dockerCli, ['build', '-q', '--label', `${label}=${runId}`, '-t', tag(name), '-']);
      build.child.stdin?.end(dockerfile);
      await build;
    }
    const sized = (await images.withSizes()).filter((image) => image.tags.some((t) => t.startsWith(`plz-job:test-${runId}-`)));
    expect(sized).toHaveLength(names.length);
    imageBytes = Math.max(...sized.map((image) => image.uniqueBytes));
    expect(imageBytes).toBeGreaterThanOrEqual(MiB);
    expect(imageBytes).toBeLessThan(1.2 * MiB);
    ({ stdout: container } = await run(dockerCli, ['create', '--label', `${label}=${runId}`, tag('used'), 'true']));
    container = container.trim();
  }, 180_000);

  afterAll(async () => {
    if (container) await run(dockerCli, ['rm', '-f', container]).catch(() => undefined);
    for (const name of names) await run(dockerCli, ['rmi', tag(name)]).catch(() => undefined);
    redis?.disconnect();
    await redisService?.stop();
  }, 60_000);

  it('removes the least recently used beyond the cap, keeping the recent, the one in use and the one just built; two prunes at once agree', async () => {
    const now = Date.now();
    const hour = 3600_000;
    await uses.record(tag('used'), now - 4 * hour);
    await uses.record(tag('old'), now - 3 * hour);
    await uses.record(tag('middle'), now - 2 * hour);
    await uses.record(tag('recent'), now - 1 * hour);
    await uses.record(tag('recent'), now - 5 * hour); // an older use never replaces a later one
    const logger = createLogger('silent', runId);
    const deps = { images, containers, uses, logger };
    const options = { capBytes: Math.round(3.5 * imageBytes), keep: [tag('keep')], protectMs: 0, labels: { [label]: runId }, now };
    // 6 images over a cap of 3.5: `none` (no recorded use: oldest) goes, `keep` and `used` stay,
    // then `old` and `middle` go; `recent` stays.
    const [first, second] = await Promise.all([pruneJobImages(deps, options), pruneJobImages(deps, options)]);
    expect(Math.max(first!.totalBytes, second!.totalBytes)).toBeGreaterThanOrEqual(6 * MiB);
    expect([...first!.removed, ...second!.removed].sort()).toEqual([tag('middle'), tag('none'), tag('old')].sort());
    for (const name of ['keep', 'used', 'recent']) expect(await images.exists(tag(name))).toBe(true);
    for (const name of ['none', 'old', 'middle']) expect(await images.exists(tag(name))).toBe(false);
    expect([...(await uses.all()).keys()].sort()).toEqual([tag('recent'), tag('used')].sort());
    for (const image of standIns) expect(await images.exists(image)).toBe(true);

    // Under the cap now: nothing more goes; a recent use protects an image even over the cap.
    expect((await pruneJobImages(deps, options)).removed).toEqual([]);
    await uses.record(tag('recent'), now);
    expect((await pruneJobImages(deps, { ...options, capBytes: 1, protectMs: hour })).removed).toEqual([]);
    expect(await images.exists(tag('recent'))).toBe(true);
    // 0 turns pruning off.
    expect(await pruneJobImages(deps, { ...options, capBytes: 0, keep: [] })).toEqual({ totalBytes: 0, keptBytes: 0, removed: [] });
    expect(await images.exists(tag('keep'))).toBe(true);
  }, 120_000);
});

import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { dockerClient } from '../adapters/docker/client.js';
import { ContainerNameConflictError, DockerContainers } from '../adapters/docker/containers.js';
import { createFresh } from '../services/container/prepare.js';
import type { ContainerSpec } from '../services/container/spec.js';

/**
 * The job container is created first and a leftover of the same name (a preparation cut short) is
 * removed only when Docker answers 409, on the real engine: the leftover is replaced, any other
 * failure of the create is Docker's own and removes nothing.
 */
describe('worker: creating the job container over a leftover of the same name', () => {
  const id = randomBytes(4).toString('hex');
  const label = `org.plz.test-create-fresh`;
  const docker = dockerClient(undefined);
  const containers = new DockerContainers(docker);
  const spec = (name: string, image = 'debian:bookworm-slim'): ContainerSpec =>
    ({ name, Image: image, Cmd: ['true'], Labels: { [label]: id }, HostConfig: { NetworkMode: 'none' } }) as unknown as ContainerSpec;

  afterAll(async () => {
    for (const container of await containers.listByLabel(label, id)) await containers.remove(container.id);
  });

  it('creates with one request when the name is free, and replaces a leftover on a 409', async () => {
    const name = `plz-test-fresh-${id}`;
    const first = await createFresh(containers, spec(name));
    // the plain create refuses the taken name with the adapter's own error
    await expect(containers.create(spec(name))).rejects.toBeInstanceOf(ContainerNameConflictError);
    const second = await createFresh(containers, spec(name));
    expect(second).not.toBe(first);
    expect(await containers.inspect(first)).toBeUndefined();
    expect((await containers.inspect(name))?.id).toBe(second);
  }, 60_000);

  it('leaves a container of that name alone when the create fails for another reason', async () => {
    const name = `plz-test-fresh-other-${id}`;
    const kept = await createFresh(containers, spec(name));
    const other = createFresh(containers, spec(`plz-test-fresh-missing-${id}`, `plz-test-no-such-image:${id}`));
    await expect(other).rejects.not.toBeInstanceOf(ContainerNameConflictError);
    await expect(other).rejects.toMatchObject({ statusCode: 404 });
    expect((await containers.inspect(name))?.id).toBe(kept);
  }, 60_000);
});

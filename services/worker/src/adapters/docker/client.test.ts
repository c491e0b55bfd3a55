import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { checkDatasetsSource, dockerClient } from './client.js';

// On the real Docker engine (started by tools/provision).
describe('checkDatasetsSource', () => {
  const docker = dockerClient(process.env['DOCKER_HOST']);
  const name = `plz-test-datasets-${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await docker.getVolume(name).remove().catch(() => undefined);
  });

  it('refuses a volume name the engine does not know, without creating it', async () => {
    await expect(checkDatasetsSource(docker, name)).rejects.toThrow(`DATASETS_SOURCE names the Docker volume "${name}", which does not exist`);
    await expect(docker.getVolume(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('takes an existing volume, a host path (checked by the engine at create) and no source', async () => {
    await docker.createVolume({ Name: name });
    await expect(checkDatasetsSource(docker, name)).resolves.toBeUndefined();
    await expect(checkDatasetsSource(docker, '/srv/not-checked-here')).resolves.toBeUndefined();
    await expect(checkDatasetsSource(docker, undefined)).resolves.toBeUndefined();
  });
});

import { Readable } from 'node:stream';
import { buckets, containerPaths, inputObjectKey, jobConfiguration, type JobSpec } from '@plz/contracts';
import tar from 'tar-stream';
import type { DockerContainers } from '../../adapters/docker/containers.js';
import { ObjectNotFoundError, type ObjectStore } from '../../adapters/s3/objects.js';
import { executionOutputArchive } from './inputArchive.js';
import { containerSpec, jobContainerName, type ContainerSpecInput } from './spec.js';

export interface PrepareDeps {
  containers: DockerContainers;
  objects: ObjectStore;
}

/** Raised when the execution's input cannot be found: an error of the request, not of the worker. */
export class InputMissingError extends Error {}

/**
 * The `/plz` skeleton as a tar to extract at `/`: the configuration file (contracts
 * `jobConfiguration`) and the input, output and measures folders. `/plz` is sticky and world-writable
 * (like /tmp) and output and measures are world-writable, so a job whose image runs as another user
 * can still write its output, measures and summary; the input and configuration are read-only to it.
 */
export function skeletonArchive(configuration: string): Readable {
  const pack = tar.pack();
  const mtime = new Date();
  const dir = (name: string, mode: number) => pack.entry({ name, type: 'directory', mode, mtime });
  const root = containerPaths.root.slice(1);
  dir(`${root}/`, 0o1777);
  dir(`${containerPaths.input.slice(1)}/`, 0o755);
  dir(`${containerPaths.output.slice(1)}/`, 0o777);
  dir(`${containerPaths.measures.slice(1)}/`, 0o777);
  pack.entry({ name: containerPaths.configurationFile.slice(1), mode: 0o644, mtime }, configuration);
  pack.finalize();
  return Readable.from(pack);
}

/**
 * Creates the job container of an execution (removing a leftover one of the same name, from a
 * preparation cut short) and copies in, before it starts, the configuration file and the input:
 * `plz-inputs/<sha256>.tar` streamed into /plz/input, or an earlier execution's output.
 *
 * @returns the container id.
 * @throws InputMissingError when the input object or the earlier output does not exist.
 */
export async function prepareContainer(deps: PrepareDeps, payload: JobSpec, spec: ContainerSpecInput): Promise<string> {
  await deps.containers.remove(jobContainerName(payload.execution_id));
  const id = await deps.containers.create(containerSpec(spec));
  const configuration = jobConfiguration(payload.execution_id, payload.parameters, Boolean(spec.datasetsSource));
  await deps.containers.putArchive(id, '/', skeletonArchive(`${JSON.stringify(configuration, null, 2)}\n`));
  const input = payload.input;
  if (input?.kind === 'input') {
    let archive;
    try {
      archive = await deps.objects.read(buckets.inputs, inputObjectKey(input.sha256));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw new InputMissingError(`input ${input.sha256} is not in the object store`);
      throw error;
    }
    await deps.containers.putArchive(id, containerPaths.input, archive);
  } else if (input?.kind === 'execution_output') {
    await deps.containers.putArchive(id, containerPaths.input, executionOutputArchive(deps.objects, input));
  }
  return id;
}

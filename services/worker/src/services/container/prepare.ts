import { Readable } from 'node:stream';
import { buckets, containerPaths, inputObjectKey, jobConfiguration, type JobSpec } from '@plz/contracts';
import tar from 'tar-stream';
import { ContainerNameConflictError, type DockerContainers } from '../../adapters/docker/containers.js';
import { ObjectNotFoundError, type ObjectStore } from '../../adapters/s3/objects.js';
import type { InputCache } from '../inputs/cache.js';
import { InputArchiveError } from '../inputs/extract.js';
import type { ConfigurationFiles } from './configurationFiles.js';
import type { PlzFolders } from './plzFolders.js';
import { executionOutputArchive } from './inputArchive.js';
import { containerSpec, type ContainerSpec, type ContainerSpecInput } from './spec.js';

export interface PrepareDeps {
  containers: DockerContainers;
  objects: ObjectStore;
  /** The worker's input cache (INPUT_CACHE_DIR); undefined: inputs are copied into each container. */
  inputCache?: InputCache | undefined;
  /** The worker's configuration files (configurationFiles.ts); undefined: the file is copied into each container. */
  configurations?: ConfigurationFiles | undefined;
  /** The executions' output, measures and summary folders (plzFolders.ts), used with the configuration files; undefined: written into the container. */
  plzFolders?: PlzFolders | undefined;
  /** Told whether the input came from the cache (for the execution's log). */
  onInput?: ((message: string) => void) | undefined;
}

/** Raised when the execution's input cannot be found: an error of the request, not of the worker. */
export class InputMissingError extends Error {}

/**
 * The `/plz` skeleton as a tar to extract at `/`: the configuration file (contracts
 * `jobConfiguration`) and the input, output and measures folders, for a worker without
 * configuration files to mount (the image has the folders too: image/skeleton.ts). `/plz` is sticky and world-writable
 * (like /tmp) and output and measures are world-writable, so a job whose image runs as another user
 * can still write its output, measures and summary; the input and configuration are read-only to it.
 * With `inputMounted` the input folder is left out (it is a read-only bind mount).
 */
export function skeletonArchive(configuration: string, options: { inputMounted?: boolean } = {}): Readable {
  const pack = tar.pack();
  const mtime = new Date();
  const dir = (name: string, mode: number) => pack.entry({ name, type: 'directory', mode, mtime });
  const root = containerPaths.root.slice(1);
  dir(`${root}/`, 0o1777);
  // a mounted input's folder is the read-only mount point: no entry may touch it
  if (!options.inputMounted) dir(`${containerPaths.input.slice(1)}/`, 0o755);
  dir(`${containerPaths.output.slice(1)}/`, 0o777);
  dir(`${containerPaths.measures.slice(1)}/`, 0o777);
  pack.entry({ name: containerPaths.configurationFile.slice(1), mode: 0o644, mtime }, configuration);
  pack.finalize();
  return Readable.from(pack);
}

/**
 * Creates the container `spec` names; when a leftover container holds the name (a preparation of
 * the same execution cut short: a worker killed or shut down between create and start), removes it
 * and creates again. One Docker request in the normal case (the name is free), where removing first
 * took two (a DELETE answered 404, then the create).
 *
 * @returns the new container's id.
 * @throws Docker's error when the create fails for another reason, or fails again after the removal.
 */
export async function createFresh(containers: DockerContainers, spec: ContainerSpec): Promise<string> {
  try {
    return await containers.create(spec);
  } catch (error) {
    if (!(error instanceof ContainerNameConflictError)) throw error;
  }
  await containers.remove(spec.name);
  return containers.create(spec);
}

/**
 * Creates the job container of an execution (replacing a leftover one of the same name, from a
 * preparation cut short: createFresh) and gives it, before it starts, the configuration file and the input.
 * The `/plz` folders are in the job image (image/skeleton.ts). With the worker's configuration
 * files (`deps.configurations`), the configuration file is written there and bind-mounted
 * read-only; without, it is copied in with the folders (skeletonArchive). An input
 * `plz-inputs/<sha256>.tar` comes from the worker's input cache when there is one (extracted
 * once, bind-mounted read-only at /plz/input: nothing copied; the entry is held until the
 * container exists, which then keeps it from eviction), else is streamed into /plz/input. An
 * earlier execution's output is always streamed in (not cached: it is read from MLflow's objects).
 * With the configuration files there are also the execution's output, measures and summary folders
 * on the worker's volume (`deps.plzFolders`), mounted read-write under /plz, from which the harvest
 * reads; the configuration then names /plz/summary/summary.json as the summary's path.
 * With a cached input (or none) and the configuration files, nothing is copied into the container:
 * one Docker request (the create).
 *
 * @returns the container id.
 * @throws InputMissingError when the input object or the earlier output does not exist, or the
 *   input's archive cannot be used (damaged bytes, refused entries).
 */
export async function prepareContainer(deps: PrepareDeps, payload: JobSpec, spec: ContainerSpecInput): Promise<string> {
  const input = payload.input;
  // with the configuration files (and so the input cache's folder), the execution's folders too: the summary in its folder
  const folders = deps.configurations ? deps.plzFolders : undefined;
  const summaryPath = folders ? containerPaths.mountedSummary : containerPaths.summary;
  const configuration = `${JSON.stringify(jobConfiguration(payload.execution_id, payload.parameters, Boolean(spec.datasetsSource), { summaryPath }), null, 2)}\n`;
  const mounted = deps.configurations ? await deps.configurations.write(payload.execution_id, configuration) : undefined;
  try {
    const plz = folders ? await folders.create(payload.execution_id) : undefined;
    const withConfiguration: ContainerSpecInput = mounted ? { ...spec, configurationSource: mounted.hostPath, ...(plz ? { plzFolderSource: plz.hostPath } : {}) } : spec;
    const giveConfiguration = async (id: string, inputMounted: boolean) => {
      if (!mounted) await deps.containers.putArchive(id, '/', skeletonArchive(configuration, { inputMounted }));
    };
    if (input?.kind === 'input' && deps.inputCache) {
      let held;
      try {
        held = await deps.inputCache.hold(input.sha256);
      } catch (error) {
        if (error instanceof ObjectNotFoundError) throw new InputMissingError(`input ${input.sha256} is not in the object store`);
        if (error instanceof InputArchiveError) throw new InputMissingError(`input ${input.sha256} cannot be used: ${error.message}`);
        throw error;
      }
      try {
        deps.onInput?.(held.hit ? `input ${input.sha256} from the worker's cache (mounted read-only)` : `input ${input.sha256} extracted into the worker's cache (mounted read-only)`);
        const id = await createFresh(deps.containers, containerSpec({ ...withConfiguration, inputSource: held.hostPath }));
        await giveConfiguration(id, true);
        return id;
      } finally {
        held.release();
      }
    }
    const id = await createFresh(deps.containers, containerSpec(withConfiguration));
    await giveConfiguration(id, false);
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
  } catch (error) {
    // the container, if created, is never started (the caller removes it)
    if (mounted) await deps.configurations?.remove(payload.execution_id).catch(() => undefined);
    await deps.plzFolders?.remove(payload.execution_id).catch(() => undefined);
    throw error;
  }
}

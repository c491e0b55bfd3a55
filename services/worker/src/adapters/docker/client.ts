import { hostname } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';

/**
 * A dockerode client for `DOCKER_HOST` (`unix:///var/run/docker.sock` when unset, the Docker CLI's
 * default; `tcp://host:port` for a remote engine without TLS).
 */
export function dockerClient(dockerHost: string | undefined): Docker {
  const host = dockerHost ?? 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http' });
}

/** dockerode's error shape: HTTP status of the Engine API answer and its JSON message. */
export function dockerStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error ? Number((error as { statusCode: unknown }).statusCode) : undefined;
}

/** The Engine API's message of a dockerode error (its `json.message`), else the error's message. */
export function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | undefined)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

/** The engine's ID (GET /info, `ID`): names the Docker host in GPU locks, since device ids are per host. */
export async function dockerEngineId(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { ID?: string };
  if (!info.ID) throw new Error('the Docker engine reports no ID');
  return info.ID;
}

/**
 * The Docker host's name (GET /info, `Name`: the engine's host name), which heartbeats publish as
 * the worker's host (shown by `plz workers`) unless WORKER_HOST names it.
 *
 * @throws Error when the engine reports no name.
 */
export async function dockerHostName(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { Name?: string };
  if (!info.Name) throw new Error('the Docker engine reports no host name');
  return info.Name;
}

/** The engine's CPU count (GET /info, `NCPU`): Docker refuses a `NanoCpus` above it. */
export async function dockerCpuCount(docker: Docker): Promise<number> {
  const info = (await docker.info()) as { NCPU?: number };
  if (!info.NCPU) throw new Error('the Docker engine reports no CPU count');
  return info.NCPU;
}

/**
 * Checks that the engine answers (GET /_ping).
 *
 * @throws Error naming the endpoint, with a hint when the socket refuses this user (EACCES: the
 *   worker's user needs the socket's group, see the README's "Docker socket").
 */
export async function checkDocker(docker: Docker, dockerHost: string | undefined): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    const message = dockerMessage(error);
    const hint = /EACCES/.test(message) ? ' (permission denied: give the worker the Docker socket\'s group, e.g. compose group_add with its gid)' : '';
    throw new Error(`cannot reach the Docker engine at ${dockerHost ?? 'unix:///var/run/docker.sock'}: ${message}${hint}`, { cause: error });
  }
}

/**
 * Checks that a datasets source given as a Docker volume name exists (GET /volumes/{name}): a job
 * container mounting a missing named volume would get a new, empty one from the engine, hiding
 * that the data is not there. Absolute host paths are not checked here (the engine refuses a
 * missing bind source when the job container is created, and compose when the worker starts).
 *
 * @param source DATASETS_SOURCE: a volume name or an absolute host path; undefined for none.
 * @throws Error naming the volume when the engine does not know it, or the engine's message.
 */
export async function checkDatasetsSource(docker: Docker, source: string | undefined): Promise<void> {
  if (!source || source.startsWith('/')) return;
  try {
    await docker.getVolume(source).inspect();
  } catch (error) {
    if (dockerStatus(error) === 404) {
      throw new Error(
        `DATASETS_SOURCE names the Docker volume "${source}", which does not exist: create it (docker-compose.override.yml.template shows a named volume on NFS) or empty DATASETS_SOURCE; jobs would otherwise see an empty volume at /datasets`,
        { cause: error },
      );
    }
    throw new Error(`cannot inspect the datasets volume "${source}": ${dockerMessage(error)}`, { cause: error });
  }
}

/**
 * The Docker host's path of a folder of the worker (where job containers can bind-mount it from):
 * when the worker runs in a container (found by its host name, as Docker sets it: GET
 * /containers/{hostname}/json), the folder under the `Source` of the mount whose `Destination`
 * holds it (the longest one; a bind's host path, or a named volume's `Mountpoint`); when it does
 * not run in a container, `folder` itself.
 *
 * @param folder absolute and normalised.
 * @returns undefined when the worker is in a container that does not mount `folder` or a parent
 *   of it (it lies in the container's own file system, which the host cannot give to others).
 */
export async function hostPathOf(docker: Docker, folder: string): Promise<string | undefined> {
  let info: { Mounts?: Array<{ Source?: string; Destination?: string }> };
  try {
    info = (await docker.getContainer(hostname()).inspect()) as typeof info;
  } catch (error) {
    if (dockerStatus(error) === 404) return folder;
    throw error;
  }
  const holding = (info.Mounts ?? [])
    .filter((mount) => mount.Source && mount.Destination && (folder === mount.Destination || folder.startsWith(`${mount.Destination.replace(/\/+$/, '')}/`)))
    .sort((a, b) => b.Destination!.length - a.Destination!.length)[0];
  if (!holding) return undefined;
  return path.posix.join(holding.Source!, path.posix.relative(holding.Destination!, folder));
}

import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the configuration files are: `dir` as the worker sees it, `hostDir` the same folder on the Docker host. */
export interface ConfigurationFilesSettings {
  dir: string;
  hostDir: string;
}

/** A configuration file written for one job container: mount `hostPath` read-only at the configuration path. */
export interface WrittenConfiguration {
  hostPath: string;
}

const fileName = /^([0-9a-f-]{36})\.json$/;

/**
 * The names in folder `dir`; none when it does not exist (yet).
 *
 * @throws the file system's error for anything but ENOENT.
 */
export async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
}

/**
 * The job configuration files of a worker (contracts `jobConfiguration`), one per execution, in a
 * folder of the worker's own that is also on the Docker host (the input cache's volume,
 * INPUT_CACHE_DIR/configurations), each bind-mounted read-only at `/plz/configuration.json` of its
 * job container (container/spec.ts `configurationSource`). That gives the container its file at
 * create time, with no archive copied into it (image/skeleton.ts says why that matters). Only that
 * one file is mounted: the job sees neither the folder nor other executions' files.
 *
 * Files are written whole (a temporary name, then a rename), mode 0444. The worker removes an
 * execution's file once its container is removed (`remove`), and at its start the files that no
 * container mounts (`prune`: leftovers of a worker killed meanwhile).
 */
export class ConfigurationFiles {
  constructor(readonly settings: ConfigurationFilesSettings) {}

  private folder(): string {
    return path.join(this.settings.dir, 'configurations');
  }

  private file(executionId: string): string {
    if (!fileName.test(`${executionId}.json`)) throw new Error(`not an execution id: ${executionId}`);
    return path.join(this.folder(), `${executionId}.json`);
  }

  /** Host path of an execution's configuration file (what its container mounts). */
  hostPath(executionId: string): string {
    this.file(executionId);
    return path.join(this.settings.hostDir, 'configurations', `${executionId}.json`);
  }

  /**
   * Writes (or replaces) the configuration file of `executionId` with `text`.
   *
   * @returns its host path, to bind-mount read-only.
   * @throws Error when `executionId` is not a uuid, or the file cannot be written.
   */
  async write(executionId: string, text: string): Promise<WrittenConfiguration> {
    const file = this.file(executionId);
    await mkdir(this.folder(), { recursive: true, mode: 0o755 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, text, { mode: 0o444 });
    // the mode of a new file is masked by the umask: set it as meant
    await chmod(temporary, 0o444);
    await rename(temporary, file);
    return { hostPath: this.hostPath(executionId) };
  }

  /** Removes the configuration file of `executionId` (nothing when there is none). */
  async remove(executionId: string): Promise<void> {
    await rm(this.file(executionId), { force: true });
  }

  /**
   * Removes the configuration files that no container mounts (`mounted`: the mount sources of
   * every container of the engine, DockerContainers.mountSourcesInUse) and that are older than
   * `graceMs` (a container being created meanwhile may be missing from a listing begun earlier),
   * and stray temporary files as old.
   *
   * @returns how many files were removed.
   */
  async prune(mounted: ReadonlySet<string>, graceMs = 60_000): Promise<number> {
    const names = await namesIn(this.folder());
    const before = Date.now() - graceMs;
    let removed = 0;
    for (const name of names) {
      const id = fileName.exec(name)?.[1];
      if (id && mounted.has(this.hostPath(id))) continue;
      const file = path.join(this.folder(), name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile() || info.mtimeMs > before) continue;
      await rm(file, { force: true });
      removed += 1;
    }
    return removed;
  }
}

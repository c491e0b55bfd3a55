import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { namesIn, type ConfigurationFilesSettings } from './configurationFiles.js';

/**
 * An execution's folder: `dir` as the worker sees it, `hostPath` the same folder on the Docker host.
 * Its `output`, `measures` and `summary` are mounted at /plz/output, /plz/measures and /plz/summary.
 */
export interface PlzFolder {
  dir: string;
  hostPath: string;
}

/** The parts of an execution's folder, each mounted read-write at `/plz/<part>` of its container. */
export const plzFolderParts = ['output', 'measures', 'summary'] as const;

const folderName = /^[0-9a-f-]{36}$/;

/**
 * The folders where the jobs of a worker write their output, measures and summary, one per
 * execution, in the worker's folder of the input cache's volume (INPUT_CACHE_DIR/plz/<execution
 * id>, also on the Docker host: the same settings as ConfigurationFiles). Its `output`,
 * `measures` and `summary` folders are bind-mounted read-write at /plz/output, /plz/measures and
 * /plz/summary of the container (container/spec.ts `plzFolderSource`), and the configuration names
 * /plz/summary/summary.json as the summary's path; the rest of the image's /plz (the code the CLI
 * puts at /plz/code) stays as built. The worker's harvest reads the three from the folder
 * (harvest/plzFolder.ts) instead of asking Docker for an archive of the exited container: Docker
 * mounts the container's file system and writes a tar for each archive request, about 100 ms of
 * dockerd's CPU per execution on a 2-core host (tools/bench/README.md, "Short jobs"), which the
 * jobs' own starts were waiting for.
 *
 * The three are world-writable (0777, as the image's skeleton has output and measures), so that a
 * job running as another user can write them. The job sees only its own. The folder goes with its
 * container (`remove`), and at the worker's start the folders that no container mounts (`prune`).
 */
export class PlzFolders {
  constructor(readonly settings: ConfigurationFilesSettings) {}

  private root(): string {
    return path.join(this.settings.dir, 'plz');
  }

  private dir(executionId: string): string {
    if (!folderName.test(executionId)) throw new Error(`not an execution id: ${executionId}`);
    return path.join(this.root(), executionId);
  }

  /** The folder of `executionId` (its paths; whether it exists or not). */
  folder(executionId: string): PlzFolder {
    return { dir: this.dir(executionId), hostPath: path.join(this.settings.hostDir, 'plz', executionId) };
  }

  /**
   * Makes the folder of `executionId` afresh (a leftover of a preparation cut short is removed
   * first): `output`, `measures` and `summary`, each 0777.
   *
   * @throws Error when `executionId` is not a uuid, or the folder cannot be made.
   */
  async create(executionId: string): Promise<PlzFolder> {
    const folder = this.folder(executionId);
    await rm(folder.dir, { recursive: true, force: true });
    await mkdir(folder.dir, { recursive: true });
    for (const part of plzFolderParts) {
      await mkdir(path.join(folder.dir, part));
      // the mode of a new folder is masked by the umask: set it as meant
      await chmod(path.join(folder.dir, part), 0o777);
    }
    return folder;
  }

  /** The folder of `executionId` when it exists (made by `create`), else undefined. */
  async existing(executionId: string): Promise<PlzFolder | undefined> {
    const folder = this.folder(executionId);
    const info = await lstat(folder.dir).catch(() => undefined);
    return info?.isDirectory() ? folder : undefined;
  }

  /** Removes the folder of `executionId` and all the job left in it (links are removed, never followed). */
  async remove(executionId: string): Promise<void> {
    await rm(this.dir(executionId), { recursive: true, force: true });
  }

  /**
   * Removes the folders that no container mounts (`mounted`: the mount sources of every container
   * of the engine, DockerContainers.mountSourcesInUse) and that are older than `graceMs` (a
   * container being created meanwhile may be missing from a listing begun earlier).
   *
   * @returns how many folders were removed.
   */
  async prune(mounted: ReadonlySet<string>, graceMs = 60_000): Promise<number> {
    const names = await namesIn(this.root());
    const before = Date.now() - graceMs;
    let removed = 0;
    for (const name of names) {
      const target = path.join(this.root(), name);
      if (folderName.test(name) && plzFolderParts.some((part) => mounted.has(path.join(this.folder(name).hostPath, part)))) continue;
      const info = await lstat(target).catch(() => undefined);
      if (!info || info.mtimeMs > before) continue;
      await rm(target, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }
}

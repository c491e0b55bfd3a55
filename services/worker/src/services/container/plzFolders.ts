import { chmod, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { namesIn, type ConfigurationFilesSettings } from './configurationFiles.js';

/** An execution's `/plz` folder: `dir` as the worker sees it, `hostPath` the same folder on the Docker host (what the container mounts). */
export interface PlzFolder {
  dir: string;
  hostPath: string;
}

const folderName = /^[0-9a-f-]{36}$/;

/**
 * The `/plz` folders of a worker's job containers, one per execution, in the worker's folder of the
 * input cache's volume (INPUT_CACHE_DIR/plz/<execution id>, also on the Docker host: the same
 * settings as ConfigurationFiles), each bind-mounted read-write at `/plz` of its container
 * (container/spec.ts `plzSource`). The job writes its output, measures and summary there, and the
 * worker's harvest reads them from the folder (harvest/plzFolder.ts) instead of asking Docker for an
 * archive of the exited container: Docker mounts the container's file system and writes a tar for
 * each archive request, about 100 ms of dockerd's CPU per execution on a 2-core host
 * (tools/bench/README.md, "Short jobs"), which the jobs' own starts were waiting for.
 *
 * A folder holds what the image's skeleton has (image/skeleton.ts: `/plz` sticky and world-writable
 * like /tmp, `output` and `measures` world-writable, so a job running as another user can write
 * them) and the mount points of the input (`input`) and the configuration file (an empty
 * `configuration.json`), which are mounted read-only over them. The job sees only its own folder.
 * The folder goes with its container (`remove`), and at the worker's start the folders that no
 * container mounts (`prune`).
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
   * first): `output` and `measures` (0777), the input's mount point `input` (0755) and the
   * configuration file's (`configuration.json`, empty, 0444), the folder itself 1777.
   *
   * @throws Error when `executionId` is not a uuid, or the folder cannot be made.
   */
  async create(executionId: string): Promise<PlzFolder> {
    const folder = this.folder(executionId);
    await rm(folder.dir, { recursive: true, force: true });
    await mkdir(folder.dir, { recursive: true });
    for (const [name, mode] of [['output', 0o777], ['measures', 0o777], ['input', 0o755]] as const) {
      await mkdir(path.join(folder.dir, name));
      // the mode of a new folder is masked by the umask: set it as meant
      await chmod(path.join(folder.dir, name), mode);
    }
    await writeFile(path.join(folder.dir, 'configuration.json'), '', { mode: 0o444 });
    await chmod(folder.dir, 0o1777);
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
      if (folderName.test(name) && mounted.has(this.folder(name).hostPath)) continue;
      const info = await lstat(target).catch(() => undefined);
      if (!info || info.mtimeMs > before) continue;
      await rm(target, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }
}

import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { artifactPaths, runArtifactPrefix } from '@plz/contracts';
import tar from 'tar-stream';
import type { ObjectStore } from '../../adapters/object-store.js';
import { AppError, notFound } from '../../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';

/** One file of an archive: its name inside the tar and where its bytes are. */
interface ArchiveFile {
  name: string;
  key: string;
  size: number;
  mtime: Date;
}

/**
 * Output files of executions as tar streams (tar-stream), read from the `output/` folder of each
 * run's artifacts in MinIO, where workers store them (keys.ts `artifactPaths`).
 */
export class OutputArchive {
  constructor(
    private readonly executions: ExecutionsRepository,
    private readonly store: ObjectStore,
    private readonly mlflowBucket: string,
  ) {}

  /** Files under the output folder of an execution (or under `subPath` of it), named relative to that folder. */
  private async files(execution: StoredExecution, subPath: string | undefined, namePrefix = ''): Promise<ArchiveFile[]> {
    if (!execution.mlflow_experiment_id || !execution.mlflow_run_id) return [];
    const root = `${runArtifactPrefix(execution.mlflow_experiment_id, execution.mlflow_run_id)}${artifactPaths.output}/`;
    const wanted = subPath ? `${root}${subPath}` : root;
    const files: ArchiveFile[] = [];
    for await (const object of this.store.list(this.mlflowBucket, wanted)) {
      // `sub` must match the file `sub` or the folder `sub/`, never `subway.txt`.
      if (subPath && object.key !== wanted && !object.key.startsWith(`${wanted}/`)) continue;
      if (object.key.endsWith('/')) continue;
      files.push({ name: `${namePrefix}${object.key.slice(root.length)}`, key: object.key, size: object.size, mtime: object.lastModified });
    }
    return files;
  }

  /**
   * The output of execution `id` (optionally one file or folder of it, `subPath` relative to the
   * output folder) as a tar stream. Looks everything up before returning, so errors come first.
   *
   * @throws AppError `not_found` (no such execution), `no_output` (nothing stored there).
   */
  async execution(id: string, subPath?: string): Promise<Readable> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    const files = await this.files(execution, subPath);
    if (files.length === 0) {
      const where = subPath ? ` under ${subPath}` : '';
      throw new AppError('no_output', `execution ${id} has no output files${where} (state ${execution.state})`, { state: execution.state });
    }
    return this.tar(files);
  }

  /**
   * The output files of execution `id` for a page: paths relative to the output folder and sizes in
   * bytes, in key order, at most `max` (`more` says whether there were others).
   *
   * @throws AppError `not_found`.
   */
  async list(id: string, max = 500): Promise<{ files: { path: string; size: number }[]; more: boolean }> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    return this.listOf(execution, max);
  }

  /** `list` of an execution already read (the web view's execution page reads it once for all its parts). */
  async listOf(execution: StoredExecution, max = 500): Promise<{ files: { path: string; size: number }[]; more: boolean }> {
    const files = await this.files(execution, undefined);
    return { files: files.slice(0, max).map((file) => ({ path: file.name, size: file.size })), more: files.length > max };
  }

  /**
   * One output file of execution `id` (`filePath` relative to the output folder, as `list` names
   * it) as a stream, with its size in bytes and its base name.
   *
   * @throws AppError `not_found` (no such execution or file).
   */
  async file(id: string, filePath: string): Promise<{ body: Readable; size: number; name: string }> {
    const execution = await this.executions.find(id);
    if (!execution) throw notFound('execution', id);
    const file = (await this.files(execution, filePath)).find((one) => one.name === filePath);
    const body = file ? await this.store.read(this.mlflowBucket, file.key) : null;
    if (!file || !body) throw new AppError('not_found', `execution ${id} has no output file ${filePath}`);
    return { body, size: file.size, name: filePath.split('/').at(-1) ?? filePath };
  }

  /**
   * The outputs of several executions in one tar stream, one folder per execution id.
   *
   * @throws AppError `no_output` when none of them has output files.
   */
  async executionsOf(executions: readonly StoredExecution[], what: string): Promise<Readable> {
    const files = (await Promise.all(executions.map((execution) => this.files(execution, undefined, `${execution.id}/`)))).flat();
    if (files.length === 0) throw new AppError('no_output', `${what} has no output files yet`);
    return this.tar(files);
  }

  private tar(files: readonly ArchiveFile[]): Readable {
    const pack = tar.pack();
    const write = async () => {
      for (const file of files) {
        const body = await this.store.read(this.mlflowBucket, file.key);
        if (!body) continue; // deleted since it was listed
        if (pack.destroyed) {
          body.destroy();
          return;
        }
        await pipeline(body, pack.entry({ name: file.name, size: file.size, mtime: file.mtime, mode: 0o644 }));
      }
      pack.finalize();
    };
    write().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
    // @types/tar-stream's Pack is a Readable that its declarations do not fully spell out.
    return pack as unknown as Readable;
  }
}

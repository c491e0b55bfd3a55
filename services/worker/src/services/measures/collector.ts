import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { containerPaths } from '@plz/contracts';
import type { DockerContainers } from '../../adapters/docker/containers.js';
import type { MlflowTracking } from '../../adapters/mlflow.js';
import type { Logger } from '../../logger.js';
import type { ExecutionLog } from '../run/executionLog.js';
import { measureMetrics, type MeasureFile } from './parse.js';
import { measuresCapReason, MeasureFilesReader } from './read.js';

/**
 * Reads a job's measures directory (`/plz/measures`, through Docker's archive endpoint, which
 * works on running and stopped containers) and sends to MLflow the metrics of files that are new
 * or changed since the last read. Metric timestamps are the files' modification times, so sending
 * a file again after a worker restart logs identical points, which MLflow stores once.
 */
export class MeasuresCollector {
  readonly #sent = new Map<string, string>();
  readonly #skipped = new Set<string>();
  /** Files of the last read left unread for the measures cap. */
  #capped: string[] = [];

  constructor(
    private readonly containers: DockerContainers,
    private readonly tracking: MlflowTracking,
    private readonly runId: string,
    private readonly log: ExecutionLog,
    private readonly logger: Logger,
    private readonly maxFileBytes: number,
    /** JOB_MEASURES_MAX_BYTES: bytes read in all per pass; files past it are not read. */
    private readonly maxTotalBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** Paths of the measure files that the last read left out for the cap (empty when none). */
  get capped(): readonly string[] {
    return this.#capped;
  }

  /** Every measure file now in the container (empty when the folder is gone). */
  async read(containerId: string): Promise<MeasureFile[]> {
    const reading = this.reader();
    const archive = await this.containers.getArchive(containerId, containerPaths.measures);
    if (!archive) return reading.done();
    const extract = tar.extract();
    const piped = pipeline(archive, extract);
    for await (const entry of extract) await reading.reader.entry(entry.header, entry);
    await piped;
    return reading.done();
  }

  /**
   * A pass over the measures from entries that the caller reads (entries starting with
   * `measures`, as in an archive of `/plz`): `reader` takes them, `done()` ends the pass as `read`
   * does (skips logged once per file, `capped` updated) and returns the files.
   */
  reader(): { reader: MeasureFilesReader; done(): MeasureFile[] } {
    const capped: string[] = [];
    const reader = new MeasureFilesReader(
      'measures',
      this.maxFileBytes,
      (path, reason) => {
        if (reason.startsWith(measuresCapReason)) capped.push(path);
        if (this.#skipped.has(path)) return;
        this.#skipped.add(path);
        this.log.system(`measure ${path} skipped: ${reason}`);
      },
      this.maxTotalBytes,
    );
    return {
      reader,
      done: () => {
        this.#capped = capped;
        return reader.files;
      },
    };
  }

  /** Sends the metrics of `files` that were not sent with this content yet. */
  async send(files: readonly MeasureFile[]): Promise<void> {
    const fresh = files.map((file) => ({ file, digest: digest(file.content) })).filter(({ file, digest }) => this.#sent.get(file.path) !== digest);
    const metrics = fresh.flatMap(({ file }) => measureMetrics(file));
    if (metrics.length > 0) await this.tracking.log(this.runId, { metrics });
    for (const { file, digest } of fresh) this.#sent.set(file.path, digest);
  }

  /** One periodic pass: read and send; failures are logged, never thrown (the next pass retries). */
  async poll(containerId: string): Promise<void> {
    try {
      await this.send(await this.read(containerId));
    } catch (error) {
      this.logger.warn({ err: error }, 'reading or sending measures failed; will retry');
    }
  }
}

const digest = (content: string): string => createHash('sha256').update(content).digest('base64');

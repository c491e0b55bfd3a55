import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerMessage, dockerStatus } from './client.js';

/** Outcome of an image build: the error is Docker's message (the failing step's output is in the lines). */
export type BuildResult = { ok: true } | { ok: false; error: string };

/** Limits of a build's RUN containers (POST /build query parameters). */
export interface BuildLimits {
  /** `memory` and `memswap` (no swap), bytes. */
  memoryBytes: number;
  /** `cpuquota` over a `cpuperiod` of 100 ms. */
  cpus: number;
  /** `networkmode`: the network of RUN steps (the jobs network, never the host's). */
  network: string;
  /** The build is abandoned (connection closed, Docker cancels it) after this long. */
  timeoutSeconds: number;
}

/** Job images through the Engine API (POST /build, GET /images/{name}/json). */
export class DockerImages {
  constructor(private readonly docker: Docker) {}

  /** Ids (`sha256:…`) of every local image, intermediate ones of classic builds included (GET /images/json?all=1). */
  async localImageIds(): Promise<string[]> {
    const images = await this.docker.listImages({ all: true });
    return images.map((image) => image.Id);
  }

  /** True when an image with this tag exists locally. */
  async exists(tag: string): Promise<boolean> {
    try {
      await this.docker.getImage(tag).inspect();
      return true;
    } catch (error) {
      if (dockerStatus(error) === 404) return false;
      throw error;
    }
  }

  /**
   * Builds `context` (a tar stream, optionally gzipped, with the Dockerfile at its root) into `tag`
   * with the classic builder, reporting each output line (the `stream` field of Docker's JSON
   * progress messages) to `onLine`. RUN steps get `limits` (query parameters `memory`, `memswap`,
   * `cpuperiod`, `cpuquota`, `networkmode`; the classic builder has no PIDs limit). Aborting
   * `signal`, or the time limit, closes the connection, which makes Docker cancel the build.
   * https://docs.docker.com/engine/api/v1.41/#tag/Image/operation/ImageBuild
   *
   * @returns `{ ok: false, error }` when Docker refuses or fails the build, or it ran past its time
   *   limit; throws on transport errors.
   */
  async build(
    context: Readable,
    options: { tag: string; labels: Record<string, string>; limits: BuildLimits; signal?: AbortSignal },
    onLine: (line: string) => void,
  ): Promise<BuildResult> {
    let error: string | undefined;
    const timeout = AbortSignal.timeout(options.limits.timeoutSeconds * 1000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const cancelled = (): BuildResult => ({ ok: false, error: timeout.aborted ? `the build ran past its time limit of ${options.limits.timeoutSeconds} s (JOB_BUILD_TIMEOUT_SECONDS)` : 'build cancelled' });
    const cpuPeriod = 100_000;
    try {
      const response = (await this.docker.buildImage(context, {
        t: options.tag,
        labels: options.labels,
        rm: true,
        forcerm: true,
        memory: options.limits.memoryBytes,
        memswap: options.limits.memoryBytes,
        cpuperiod: cpuPeriod,
        cpuquota: Math.round(options.limits.cpus * cpuPeriod),
        networkmode: options.limits.network,
        abortSignal: signal,
      })) as Readable;
      for await (const raw of createInterface({ input: response, crlfDelay: Infinity })) {
        if (!raw.trim()) continue;
        let message: { stream?: unknown; error?: unknown; errorDetail?: { message?: unknown } };
        try {
          message = JSON.parse(raw) as typeof message;
        } catch {
          onLine(raw);
          continue;
        }
        if (typeof message.stream === 'string') {
          for (const line of message.stream.replace(/\n$/, '').split('\n')) onLine(line);
        }
        if (message.error !== undefined) {
          error = String(message.errorDetail?.message ?? message.error);
          onLine(error);
        }
      }
    } catch (cause) {
      if (signal.aborted) return cancelled();
      // Docker refuses some contexts before building (no Dockerfile, unreadable archive): a build error too.
      if (dockerStatus(cause) !== undefined) {
        onLine(dockerMessage(cause));
        return { ok: false, error: dockerMessage(cause) };
      }
      throw new Error(`image build of ${options.tag} failed: ${dockerMessage(cause)}`, { cause });
    }
    if (signal.aborted) return cancelled();
    return error === undefined ? { ok: true } : { ok: false, error };
  }
}

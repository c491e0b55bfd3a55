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

/** A local image as the job image cache sees it (GET /system/df, `Images`). */
export interface LocalImage {
  /** `sha256:…`. */
  id: string;
  /** Every tag of the image (`repository:tag`); empty for untagged images. */
  tags: string[];
  labels: Record<string, string>;
  /** Creation time, seconds since the epoch (`Created`). */
  created: number;
  /**
   * Bytes that removing the image would free: its layers shared with no other local image
   * (`Size` − `SharedSize`, `docker system df -v`'s UNIQUE SIZE).
   */
  uniqueBytes: number;
}

/** Outcome of removing a tag: removed, already gone (404), or refused because a container uses the image (409). */
export type RemoveResult = 'removed' | 'gone' | 'in-use';

/** Job images through the Engine API (POST /build, GET /images/{name}/json). */
export class DockerImages {
  constructor(private readonly docker: Docker) {}

  /** Ids (`sha256:…`) of every local image, intermediate ones of classic builds included (GET /images/json?all=1). */
  async localImageIds(): Promise<string[]> {
    const images = await this.docker.listImages({ all: true });
    return images.map((image) => image.Id);
  }

  /**
   * Tagged local images with their unique sizes (GET /system/df: the engine computes shared sizes
   * only there; it takes a few seconds on a host with many images). The engine runs one at a time
   * and answers 500 "a disk usage operation is already running" to others: retried every second,
   * up to a minute (several workers of a host prune at once).
   * https://docs.docker.com/engine/api/v1.41/#tag/System/operation/SystemDataUsage
   */
  async withSizes(): Promise<LocalImage[]> {
    let usage: unknown;
    for (let attempt = 1; ; attempt += 1) {
      try {
        usage = await this.docker.df();
        break;
      } catch (error) {
        if (attempt >= 60 || !/disk usage operation is already running/i.test(dockerMessage(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    return this.#images(usage);
  }

  #images(usage: unknown): LocalImage[] {
    const { Images } = usage as { Images?: Array<{ Id: string; RepoTags?: string[] | null; Labels?: Record<string, string> | null; Created: number; Size: number; SharedSize: number }> | null };
    return (Images ?? []).map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      labels: image.Labels ?? {},
      created: image.Created,
      uniqueBytes: Math.max(0, image.Size - Math.max(0, image.SharedSize)),
    }));
  }

  /**
   * DELETE /images/{tag} without `force`: the engine refuses (409) when a container, running or
   * not, uses the image, and removes only the tag when the image has others.
   */
  async removeTag(tag: string): Promise<RemoveResult> {
    try {
      await this.docker.getImage(tag).remove();
      return 'removed';
    } catch (error) {
      const status = dockerStatus(error);
      if (status === 404) return 'gone';
      if (status === 409) return 'in-use';
      throw error;
    }
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

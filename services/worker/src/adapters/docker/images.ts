import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerMessage, dockerStatus } from './client.js';

/** Outcome of an image build: the error is Docker's message (the failing step's output is in the lines). */
export type BuildResult = { ok: true } | { ok: false; error: string };

/** Job images through the Engine API (POST /build, GET /images/{name}/json). */
export class DockerImages {
  constructor(private readonly docker: Docker) {}

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
   * progress messages) to `onLine`. Aborting `signal` closes the connection, which makes Docker
   * cancel the build. https://docs.docker.com/engine/api/v1.41/#tag/Image/operation/ImageBuild
   *
   * @returns `{ ok: false, error }` when Docker refuses or fails the build; throws on transport errors.
   */
  async build(context: Readable, options: { tag: string; labels: Record<string, string>; signal?: AbortSignal }, onLine: (line: string) => void): Promise<BuildResult> {
    let error: string | undefined;
    try {
      const response = (await this.docker.buildImage(context, {
        t: options.tag,
        labels: options.labels,
        rm: true,
        forcerm: true,
        ...(options.signal ? { abortSignal: options.signal } : {}),
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
      if (options.signal?.aborted) return { ok: false, error: 'build cancelled' };
      // Docker refuses some contexts before building (no Dockerfile, unreadable archive): a build error too.
      if (dockerStatus(cause) !== undefined) {
        onLine(dockerMessage(cause));
        return { ok: false, error: dockerMessage(cause) };
      }
      throw new Error(`image build of ${options.tag} failed: ${dockerMessage(cause)}`, { cause });
    }
    if (options.signal?.aborted) return { ok: false, error: 'build cancelled' };
    return error === undefined ? { ok: true } : { ok: false, error };
  }
}

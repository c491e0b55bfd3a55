import { Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerSpec } from '../../services/container/spec.js';
import { dockerStatus } from './client.js';

/** What the worker needs to know of a container (GET /containers/{id}/json, `State`). */
export interface ContainerState {
  id: string;
  running: boolean;
  /** Docker's status: created, running, exited, … */
  status: string;
  exitCode: number;
  oomKilled: boolean;
  /** The memory limit (`HostConfig.Memory`), bytes; 0 for none. */
  memoryBytes: number;
  /** ISO 8601; Docker's zero time (`0001-…`) when never started. */
  startedAt: string;
  labels: Record<string, string>;
}

/** The container name asked for at create is taken (Engine API 409 Conflict on POST /containers/create). */
export class ContainerNameConflictError extends Error {
  constructor(name: string, options?: ErrorOptions) {
    super(`the container name ${name} is already in use`, options);
  }
}

/** A container listed by label (GET /containers/json). */
export interface ListedContainer {
  id: string;
  labels: Record<string, string>;
  state: string;
}

/**
 * Job containers through the Engine API, v1.41 (https://docs.docker.com/engine/api/v1.41/#tag/Container).
 * Methods taking an id also accept the container's name.
 */
export class DockerContainers {
  constructor(private readonly docker: Docker) {}

  /**
   * POST /containers/create?name=…; returns the id.
   *
   * @throws ContainerNameConflictError when the name is taken (409); else Docker's error.
   */
  async create(spec: ContainerSpec): Promise<string> {
    const { name, ...body } = spec;
    try {
      const container = await this.docker.createContainer({ name, ...body });
      return container.id;
    } catch (error) {
      if (dockerStatus(error) === 409) throw new ContainerNameConflictError(name, { cause: error });
      throw error;
    }
  }

  /**
   * PUT /containers/{id}/archive?path=…: extracts the tar `archive` into `path`, which must exist.
   * Errors of the source stream reject too (the upload is abandoned).
   */
  async putArchive(id: string, path: string, archive: Readable): Promise<void> {
    const controller = new AbortController();
    let sourceError: Error | undefined;
    const onError = (error: Error) => {
      sourceError = error;
      controller.abort(error);
    };
    archive.once('error', onError);
    try {
      const response = (await this.docker.getContainer(id).putArchive(archive, { path, abortSignal: controller.signal })) as unknown as Readable | undefined;
      if (response && typeof response.resume === 'function') response.resume();
    } catch (error) {
      throw sourceError ?? error;
    } finally {
      archive.removeListener('error', onError);
    }
    if (sourceError) throw sourceError;
  }

  /** GET /containers/{id}/archive?path=…: a tar of `path` (entries start with its base name), or undefined when it does not exist. */
  async getArchive(id: string, path: string): Promise<Readable | undefined> {
    try {
      return (await this.docker.getContainer(id).getArchive({ path })) as Readable;
    } catch (error) {
      if (dockerStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /** POST /containers/{id}/start (304 "already started" is not an error). */
  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (dockerStatus(error) !== 304) throw error;
    }
  }

  /**
   * GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1 from the container's start,
   * split by `docker.modem.demuxStream` (the container has no TTY, so frames carry 8-byte headers
   * naming the stream). Docker writes one frame per log message, each prefixed with its RFC 3339
   * timestamp and a space; `onMessage` gets them one by one.
   *
   * @returns `done`, settled when the stream ends (the container stopped) or fails, and `close()`.
   */
  async followLogs(id: string, onMessage: (stream: 'stdout' | 'stderr', message: Buffer) => void): Promise<{ done: Promise<void>; close(): void }> {
    const response = (await this.docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, timestamps: true })) as unknown as Readable;
    const sink = (stream: 'stdout' | 'stderr') =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          onMessage(stream, chunk);
          callback();
        },
      });
    this.docker.modem.demuxStream(response, sink('stdout'), sink('stderr'));
    const done = new Promise<void>((resolve, reject) => {
      response.once('end', resolve);
      response.once('close', resolve);
      response.once('error', reject);
    });
    return { done, close: () => response.destroy() };
  }

  /**
   * POST /containers/{id}/wait?condition=not-running: resolves with the exit code once the
   * container has stopped (at once if it already has).
   */
  async wait(id: string): Promise<number> {
    const result = (await this.docker.getContainer(id).wait({ condition: 'not-running' })) as { StatusCode: number };
    return result.StatusCode;
  }

  /** GET /containers/{id}/json, or undefined when the container does not exist. */
  async inspect(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        id: info.Id,
        running: info.State.Running,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        memoryBytes: info.HostConfig.Memory ?? 0,
        startedAt: info.State.StartedAt,
        labels: info.Config.Labels ?? {},
      };
    } catch (error) {
      if (dockerStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * POST /containers/{id}/stop?t=…: the image's stop signal (SIGTERM by default), then SIGKILL
   * after `graceSeconds`. Stopping a stopped or missing container is not an error.
   */
  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: graceSeconds });
    } catch (error) {
      const status = dockerStatus(error);
      if (status !== 304 && status !== 404) throw error;
    }
  }

  /** DELETE /containers/{id}?force=1&v=1 (anonymous volumes too); a missing container is not an error. */
  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      const status = dockerStatus(error);
      if (status !== 404 && status !== 409) throw error;
    }
  }

  /** Ids (`sha256:…`) of the images of every container, running or not (GET /containers/json?all=1, `ImageID`). */
  async imageIdsInUse(): Promise<Set<string>> {
    const listed = await this.docker.listContainers({ all: true });
    return new Set(listed.map((container) => container.ImageID));
  }

  /** Host paths that containers mount, running or not (GET /containers/json?all=1, `Mounts[].Source`). */
  async mountSourcesInUse(): Promise<Set<string>> {
    const listed = await this.docker.listContainers({ all: true });
    return new Set(listed.flatMap((container) => (container.Mounts ?? []).map((mount) => mount.Source)));
  }

  /** GET /containers/json?all=1&filters={"label":["key=value"]}. */
  async listByLabel(key: string, value: string): Promise<ListedContainer[]> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
    return listed.map((container) => ({ id: container.Id, labels: container.Labels ?? {}, state: container.State }));
  }
}

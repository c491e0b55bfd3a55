import type { ExecutionSpec, ExecutionStatus, MeasuresResponse } from '@plz/contracts';
import type { z } from 'zod';
import type { JobParameters } from './job.js';

/** What `POST /api/v1/executions` answered: an id (2xx), or a refusal with its reason. */
export type Submitted = { outcome: 'accepted'; id: string } | { outcome: 'refused'; reason: string };

/** The status of an execution, or `missing` when the REST API says it does not exist (404). */
export type Polled = ExecutionStatus | 'missing';

/** A request that got no usable answer (connection error, timeout, 502/503/504 from NGINX): worth trying again. */
export class TransientError extends Error {}

/** A short, one-line form of an error body: the title of an HTML page (NGINX's 502), else the first 200 characters. */
function shortBody(text: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  return (title ?? text).replace(/\s+/g, ' ').trim().slice(0, 200);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The REST API of one deployment, through NGINX, with an admin token: only the calls the fault
 * suite needs (routes in services/restapi/src/routes/). `baseUrl` is asked again at every request:
 * NGINX's published port changes when its container restarts.
 */
export class FaultsApi {
  constructor(
    private readonly baseUrl: () => string,
    private readonly token: string,
  ) {}

  private async request(method: string, apiPath: string, body?: { json: unknown } | { bytes: Buffer; type: string }, timeoutMs = 30_000): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: string | Buffer | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = body.type;
      payload = body.bytes;
    }
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl()}${apiPath}`, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new TransientError(`no answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    if ([502, 503, 504].includes(response.status)) {
      throw new TransientError(`${response.status} ${shortBody(await response.text())}`);
    }
    return response;
  }

  private async json<T>(method: string, apiPath: string, body?: { json: unknown }): Promise<T> {
    const response = await this.request(method, apiPath, body);
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${(await response.text()).slice(0, 500)}`);
    return (await response.json()) as T;
  }

  /** Tries `call` until it answers or `withinMs` has passed, waiting 1 s after each TransientError. */
  async retrying<T>(call: () => Promise<T>, withinMs = 120_000): Promise<T> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof TransientError) || Date.now() > deadline) throw error;
        await sleep(1000);
      }
    }
  }

  /** The same API with another user's token. */
  as(token: string): FaultsApi {
    return new FaultsApi(this.baseUrl, token);
  }

  /** Creates a user (role `user`) and a token of theirs, as an admin: the API as them. */
  async newUser(name: string): Promise<FaultsApi> {
    await this.retrying(() => this.json('POST', '/api/v1/users', { json: { name } }));
    const { token } = await this.retrying(() => this.json<{ token: string }>('POST', `/api/v1/users/${name}/tokens`, { json: { name: 'fault-suite' } }));
    return this.as(token);
  }

  /** Uploads a snapshot (`PUT /api/v1/snapshots/{sha256}`, a no-op when stored). */
  async putSnapshot(sha256: string, bytes: Buffer): Promise<void> {
    const response = await this.request('PUT', `/api/v1/snapshots/${sha256}`, { bytes, type: 'application/gzip' }, 120_000);
    if (!response.ok) throw new Error(`PUT snapshot: ${response.status} ${await response.text()}`);
  }

  /**
   * Submits once, never retrying (a retry could queue it twice): a 2xx with an id is `accepted`;
   * any other answer, or none (connection refused or reset, timeout), is `refused`, with what came back.
   */
  async submit(spec: z.input<typeof ExecutionSpec>): Promise<Submitted> {
    try {
      const response = await this.request('POST', '/api/v1/executions', { json: spec });
      const text = await response.text();
      if (response.ok) {
        const id = (JSON.parse(text) as { id?: unknown }).id;
        if (typeof id === 'string') return { outcome: 'accepted', id };
        return { outcome: 'refused', reason: `${response.status} without an id: ${shortBody(text)}` };
      }
      return { outcome: 'refused', reason: `${response.status} ${shortBody(text)}` };
    } catch (error) {
      return { outcome: 'refused', reason: (error as Error).message };
    }
  }

  /** `GET /api/v1/executions/{id}/status` (with `position`: a queued one's place in its queue). @throws TransientError when the API does not answer. */
  async status(id: string, position = false): Promise<Polled> {
    const response = await this.request('GET', `/api/v1/executions/${id}/status${position ? '?position=true' : ''}`);
    if (response.status === 404) return 'missing';
    if (!response.ok) throw new TransientError(`status of ${id}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    return (await response.json()) as ExecutionStatus;
  }

  /** The parameters an execution was recorded with (`GET /api/v1/executions/{id}`). */
  async parameters(id: string): Promise<JobParameters> {
    return (await this.json<{ parameters: JobParameters }>('GET', `/api/v1/executions/${id}`)).parameters;
  }

  /** `GET /api/v1/executions/{id}/measures` (measures and summary). */
  measures(id: string): Promise<MeasuresResponse> {
    return this.json<MeasuresResponse>('GET', `/api/v1/executions/${id}/measures`);
  }

  /** `GET /api/v1/executions/{id}/output`: the output folder as an uncompressed tar. */
  async output(id: string): Promise<Buffer> {
    const response = await this.request('GET', `/api/v1/executions/${id}/output`, undefined, 120_000);
    if (!response.ok) throw new Error(`output of ${id}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Ids of every execution of `project` (`GET /api/v1/executions?project=`, all pages). */
  async idsOfProject(project: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `project=${encodeURIComponent(project)}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { executions: Array<{ id: string }>; next_cursor: string | null } = await this.json('GET', `/api/v1/executions?${query}`);
      ids.push(...page.executions.map((execution) => execution.id));
      cursor = page.next_cursor;
    } while (cursor);
    return ids;
  }
}

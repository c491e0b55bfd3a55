import { describe, expect, it } from '@jest/globals';
import { freePort } from '@plz/testkit';
import { createServer, type Socket } from 'node:net';
import { MlflowClient } from '../client.js';
import { isRetryable, MlflowError, mlflowErrorCodes } from './errors.js';
import type { RetryEvent } from './transport.js';

const fastRetries = (events: RetryEvent[], retries: number) => ({
  retries,
  minTimeoutMs: 5,
  maxTimeoutMs: 20,
  randomize: false,
  onRetry: (event: RetryEvent) => events.push(event),
});

describe('isRetryable', () => {
  it('retries no answer, 5xx and 429, never another 4xx', () => {
    expect(isRetryable({ status: null })).toBe(true);
    expect(isRetryable({ status: 500 })).toBe(true);
    expect(isRetryable({ status: 503 })).toBe(true);
    expect(isRetryable({ status: 429 })).toBe(true);
    for (const status of [400, 401, 403, 404, 409]) expect(isRetryable({ status })).toBe(false);
  });
});

describe('Transport retries', () => {
  it('retries a refused connection with backoff, then throws CONNECTION_FAILED', async () => {
    const port = await freePort(); // nothing listens there
    const events: RetryEvent[] = [];
    const client = new MlflowClient({ baseUrl: `http://127.0.0.1:${port}`, retry: fastRetries(events, 3) });
    const started = Date.now();
    const failure = await client.getRun('0123456789abcdef').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MlflowError);
    expect(failure).toMatchObject({ errorCode: mlflowErrorCodes.connectionFailed, status: null, operation: 'GET /api/2.0/mlflow/runs/get' });
    expect(events.map((e) => [e.attempt, e.retriesLeft])).toEqual([[1, 2], [2, 1], [3, 0]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 + 10 + 20 - 5);
  });

  it('gives up after the per-attempt timeout when the server never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const events: RetryEvent[] = [];
      const client = new MlflowClient({ baseUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 200, retry: fastRetries(events, 1) });
      const failure = await client.getExperimentByName('x').catch((error: unknown) => error);
      expect(failure).toMatchObject({ errorCode: mlflowErrorCodes.timeout, status: null });
      expect(events).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, secret, startProcess, waitUntilReady } from './process.js';
import { toolPaths } from './tools.js';

/** A throwaway Redis server on 127.0.0.1 with a generated password; `url` carries it. */
export interface RedisService {
  url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` (no persistence) on a free loopback port; ready when PING answers. */
export async function startRedis(): Promise<RedisService> {
  const { redisServer } = toolPaths();
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-test-redis-'));
  const port = await freePort();
  const password = await secret();
  const proc = startProcess('redis', redisServer, [
    '--port', String(port), '--bind', '127.0.0.1', '--requirepass', password,
    '--save', '', '--appendonly', 'no', '--dir', dir,
  ]);
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await waitUntilReady('redis', proc, async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  });
  return {
    url,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

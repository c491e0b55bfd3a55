import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startRedis, type RedisService } from '@plz/testkit';
import { LogStream, logStreamTtlSeconds } from './logStream.js';

describe('LogStream on Redis', () => {
  let service: RedisService;
  let redis: Redis;

  beforeAll(async () => {
    service = await startRedis();
    redis = new Redis(service.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await service.stop();
  });

  it('keeps lines without expiry while the execution runs, and expires the stream once ended', async () => {
    const stream = new LogStream(redis);
    await stream.append('e1', [{ stream: 'stdout', line: 'hello' }, { stream: 'system', line: 'bye' }]);
    expect(await stream.ttl('e1')).toBe(-1);
    await stream.end('e1', 'succeeded');
    const ttl = await stream.ttl('e1');
    expect(ttl).toBeGreaterThan(logStreamTtlSeconds - 10);
    expect(ttl).toBeLessThanOrEqual(logStreamTtlSeconds);
    const entries = await stream.range('e1', '-', 10);
    expect(entries.map((entry) => entry.fields)).toEqual([{ stream: 'stdout', line: 'hello' }, { stream: 'system', line: 'bye' }, { end: 'succeeded' }]);
    expect(await stream.lastOutputTime('e1')).toBe(Number(entries[0]!.id.split('-')[0]));
  });

  it('expires a stream ended by someone who never wrote to it (a stop before a worker took it)', async () => {
    await new LogStream(redis, 60).end('e2', 'stopped');
    expect(await new LogStream(redis).ttl('e2')).toBeGreaterThan(50);
  });
});

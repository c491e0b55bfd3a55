import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * Opens a Redis connection for request handling: commands fail after a few retries instead of
 * waiting forever while Redis is down (so requests end with an error, not a hang).
 *
 * @param url `redis://[:password@]host:port[/db]`.
 */
export function openRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, connectTimeout: 5_000, enableReadyCheck: true });
}

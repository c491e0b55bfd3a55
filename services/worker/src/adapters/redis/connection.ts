import { Redis } from 'ioredis';

export interface ConnectionOptions {
  /** `maxRetriesPerRequest: null`, which BullMQ requires of the connections it blocks on. */
  forBullmq?: boolean;
  /** A connection that will SUBSCRIBE: no ready check (INFO is refused in subscriber mode). */
  subscriber?: boolean;
  /** Connection errors (ioredis reconnects by itself; an unhandled 'error' event would be noisy). */
  onError?: (error: Error) => void;
  /** PEM CA certificate that the server's certificate must chain to (a `rediss://` URL: TLS, host name verified). */
  ca?: string;
}

/**
 * A Redis connection for `url` (`redis://:password@host:port/db`, or `rediss://user:password@...`
 * over TLS, verified against `options.ca` when given). Commands on ordinary
 * connections fail after a few retries instead of waiting forever while Redis is away.
 */
export function redisConnection(url: string, name: string, options: ConnectionOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: `plz-worker-${name}`,
    maxRetriesPerRequest: options.forBullmq ? null : 5,
    enableReadyCheck: !options.subscriber,
    ...(options.ca === undefined ? {} : { tls: { ca: options.ca } }),
  });
  redis.on('error', options.onError ?? (() => undefined));
  return redis;
}

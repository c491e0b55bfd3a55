import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Log paths that may hold secrets: they are replaced by `[redacted]` before a line is written. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'token',
  '*.token',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
];

/**
 * The service's root logger: JSON lines (pino) to stdout, or to `destination` when given
 * (benchmarks send them to /dev/null), with secrets redacted.
 *
 * @param level a pino level name (`info`, `debug`, ..., or `silent`).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'restapi' }, redact: { paths: redactedPaths, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

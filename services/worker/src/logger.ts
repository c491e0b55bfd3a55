import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * The worker's pino logger (JSON lines on stdout). Secrets are redacted wherever they would sit
 * in a logged object (connection URLs are never logged whole).
 */
export function createLogger(level: string, workerId: string): Logger {
  return pino({
    level,
    base: { service: 'worker', worker_id: workerId },
    redact: {
      paths: ['S3_SECRET_ACCESS_KEY', 'DATABASE_URL', 'REDIS_URL', '*.S3_SECRET_ACCESS_KEY', '*.DATABASE_URL', '*.REDIS_URL', 'secretAccessKey', '*.secretAccessKey', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}

import { z } from 'zod';

const Port = z.coerce.number().int().min(0).max(65535);

/** Settings of the REST API, read once from the environment at start-up (STYLE.md, Services). */
export const ConfigSchema = z.object({
  PORT: Port.default(8080),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url(),
  S3_ENDPOINT: z.string().url(),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
  S3_REGION: z.string().default('us-east-1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/**
 * Parses and freezes the configuration.
 *
 * @param env usually `process.env`.
 * @throws Error listing every missing or invalid variable, one per line.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

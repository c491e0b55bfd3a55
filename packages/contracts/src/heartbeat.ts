import { z } from 'zod';

/**
 * A worker heartbeat as stored in the Redis hash `plz:workers:<worker_id>` (keys.ts): every value
 * is a string; `gpus` is a JSON array of device ids and `execution_id` is '' while idle. Parsing
 * turns it into typed values (gpus as an array, an idle worker's execution_id as null).
 */
export const WorkerHeartbeat = z.object({
  worker_id: z.string().min(1),
  queue: z.string().min(1),
  gpus: z
    .string()
    .default('[]')
    .transform((text, ctx) => {
      try {
        const value: unknown = JSON.parse(text);
        if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'gpus must be a JSON array of strings' });
      return z.NEVER;
    }),
  execution_id: z
    .string()
    .default('')
    .transform((id) => (id === '' ? null : id)),
  hostname: z.string().optional(),
  started_at: z.string().optional(),
  heartbeat_at: z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'heartbeat_at must be an ISO 8601 time'),
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;

/** The hash fields of a heartbeat, as a worker writes them with HSET. */
export function heartbeatFields(heartbeat: {
  worker_id: string;
  queue: string;
  gpus: readonly string[];
  execution_id: string | null;
  hostname: string;
  started_at: string;
  heartbeat_at: string;
}): Record<string, string> {
  return { ...heartbeat, gpus: JSON.stringify(heartbeat.gpus), execution_id: heartbeat.execution_id ?? '' };
}

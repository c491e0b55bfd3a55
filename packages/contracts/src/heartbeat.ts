import { z } from 'zod';

/** A positive number written as a string (hash values are strings); absent in heartbeats of older workers. */
const limitField = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a positive number')
  .transform(Number)
  .optional();

/**
 * Job limits a worker publishes (its `JOB_*` settings; bytes, CPUs, seconds): the default applied
 * when a request sets none and the maximum it accepts. The REST API can refuse at submit a request
 * that no live worker of the queue would accept. Each is optional so that heartbeats of workers
 * from before these fields still parse.
 */
export const heartbeatLimitFields = [
  'memory_default',
  'memory_max',
  'cpus_default',
  'cpus_max',
  'shm_size_default',
  'pids_limit',
  'max_run_seconds_default',
  'max_run_seconds_max',
] as const;
export type HeartbeatLimits = Record<(typeof heartbeatLimitFields)[number], number>;

/**
 * One GPU of a worker as its driver reports it (`nvidia-smi --query-gpu=index,name,memory.total`):
 * `device` is the id the worker was given (NVIDIA_VISIBLE_DEVICES), `name` the model
 * (`NVIDIA H200`), `memory_mib` the total memory in MiB.
 */
export const GpuDetails = z.object({ device: z.string(), name: z.string(), memory_mib: z.number().int().nonnegative() });
export type GpuDetails = z.infer<typeof GpuDetails>;

/**
 * The `gpu_details` field of a heartbeat: a JSON array of GpuDetails. Absent (older workers, or
 * a worker that cannot run nvidia-smi) or unreadable, it is left out: the details only inform, so
 * they never make a heartbeat invalid.
 */
const gpuDetailsField = z
  .string()
  .optional()
  .transform((text) => {
    if (text === undefined) return undefined;
    try {
      const parsed = z.array(GpuDetails).safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  });

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
  memory_default: limitField,
  memory_max: limitField,
  cpus_default: limitField,
  cpus_max: limitField,
  shm_size_default: limitField,
  pids_limit: limitField,
  max_run_seconds_default: limitField,
  max_run_seconds_max: limitField,
  gpu_details: gpuDetailsField,
});
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;

/** What a worker says about itself in a heartbeat, before it becomes hash fields (times ISO 8601). */
export interface HeartbeatInput {
  worker_id: string;
  queue: string;
  gpus: readonly string[];
  /** The execution it works on, null while idle. */
  execution_id: string | null;
  hostname: string;
  started_at: string;
  heartbeat_at: string;
  /** The worker's job limits (defaults and maxima), for the REST API's check at submit; absent for none. */
  limits?: HeartbeatLimits | undefined;
  /** Model and memory of each of its GPUs, where it could read them (nvidia-smi); absent otherwise. */
  gpu_details?: readonly GpuDetails[] | undefined;
}

/** The hash fields of a heartbeat, as a worker writes them with HSET (limits, when given, as decimal strings; GPU details, when given, as JSON). */
export function heartbeatFields(heartbeat: HeartbeatInput): Record<string, string> {
  const { limits, gpu_details: details, ...rest } = heartbeat;
  const limitValues = limits ? Object.fromEntries(heartbeatLimitFields.map((field) => [field, String(limits[field])])) : {};
  const detailValues: Record<string, string> = details && details.length > 0 ? { gpu_details: JSON.stringify(details) } : {};
  return { ...rest, gpus: JSON.stringify(heartbeat.gpus), execution_id: heartbeat.execution_id ?? '', ...limitValues, ...detailValues };
}

/** The limits a heartbeat publishes, or null when it lacks any of them (a worker from before limits). */
export function heartbeatLimits(heartbeat: WorkerHeartbeat): HeartbeatLimits | null {
  const limits: Partial<HeartbeatLimits> = {};
  for (const field of heartbeatLimitFields) {
    const value = heartbeat[field];
    if (value === undefined) return null;
    limits[field] = value;
  }
  return limits as HeartbeatLimits;
}

import { z } from 'zod';
import { ExecutionState } from './execution.js';
import { GpuDetails } from './heartbeat.js';
import { ExecutionRecord } from './record.js';
import { Parameters } from './spec.js';
import { Priority, QueuePosition } from './queue.js';

/**
 * Request and response bodies of the REST API (`/api/v1`) besides ExecutionSpec, SweepSpec and
 * ExecutionRecord. The OpenAPI document at `/api/v1/openapi.json` is generated from these.
 */

/** Every error response: a stable machine-readable `code`, a sentence for people, optional details. */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

/** One field-level problem in a `validation_failed` error's `details`. */
export const FieldProblem = z.object({ path: z.string(), message: z.string() });
export type FieldProblem = z.infer<typeof FieldProblem>;

export const userRoles = ['admin', 'user'] as const;
export const UserRole = z.enum(userRoles);
export type UserRole = z.infer<typeof UserRole>;

/** User names: lowercase letters, digits, `.`, `_`, `-`, starting with a letter, 1 to 64 characters. */
export const UserName = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/, 'expected 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter');

/** Body of `POST /api/v1/users` (admin). */
export const CreateUserRequest = z.object({ name: UserName, role: UserRole.default('user') }).strict();
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

export const User = z.object({
  id: z.string(),
  name: z.string(),
  role: UserRole,
  created_at: z.string(),
  disabled_at: z.string().nullable(),
  /** `high` executions this user may submit per fair-share window; null: the deployment's HIGH_PRIORITY_ALLOWANCE. */
  high_priority_allowance: z.number().int().nonnegative().nullable(),
});
export type User = z.infer<typeof User>;

/**
 * Body of `PATCH /api/v1/users/{name}` (admin): the user's own allowance of `high` executions per
 * fair-share window (0 to 1,000,000; admins need none); null goes back to the deployment's
 * HIGH_PRIORITY_ALLOWANCE.
 */
export const UpdateUserRequest = z
  .object({ high_priority_allowance: z.number().int().min(0).max(1_000_000).nullable() })
  .strict();
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

/**
 * Body of `POST /api/v1/users/{name}/tokens` (admin): a label for the token, e.g. the laptop it
 * goes to, and an optional expiry (ISO 8601 with an offset, in the future); none: until revoked.
 */
export const CreateTokenRequest = z
  .object({
    name: z.string().min(1).max(100),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

/** A token as listed: never the token itself (only its sha256 is stored). */
export const TokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  /** When the token stops working by itself; null: until revoked. */
  expires_at: z.string().nullable(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** Answer of token creation: the only time the token is shown. */
export const CreatedToken = TokenInfo.extend({ token: z.string() });
export type CreatedToken = z.infer<typeof CreatedToken>;

/**
 * Body of `POST /api/v1/auth/login-links`: where the browser goes once logged in, a path on the
 * deployment (`/mlflow/#/experiments/1/runs/abc`); default `/`.
 */
export const LoginLinkRequest = z
  .object({ next: z.string().startsWith('/').max(2048).optional() })
  .strict();
export type LoginLinkRequest = z.infer<typeof LoginLinkRequest>;

/**
 * A one-time link that logs a browser in as the caller: `path` (`/login/link/<code>?next=...`,
 * relative to the deployment's URL) works once, until `expires_at` (60 s after its creation).
 */
export const LoginLink = z.object({ path: z.string(), expires_at: z.string() });
export type LoginLink = z.infer<typeof LoginLink>;

/** `GET /api/v1/me`: who the token belongs to. */
export const Identity = z.object({ id: z.string(), name: z.string(), role: UserRole });
export type Identity = z.infer<typeof Identity>;

/** `GET /api/v1/executions/{id}/status`: the few fields a poller needs. */
export const ExecutionStatus = z.object({
  id: z.string(),
  state: ExecutionState,
  queue: z.string(),
  exit_code: z.number().int().nullable(),
  error: z.string().nullable(),
  worker_id: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  priority: Priority,
  /** Where it stands while `queued` (queue.ts), when asked with `?position=true`; else null. */
  queue_position: QueuePosition.nullable(),
});
export type ExecutionStatus = z.infer<typeof ExecutionStatus>;

/** `GET /api/v1/executions`: newest first; pass `next_cursor` back as `cursor` for the next page. */
export const ExecutionList = z.object({
  executions: z.array(ExecutionRecord),
  next_cursor: z.string().nullable(),
});
export type ExecutionList = z.infer<typeof ExecutionList>;

/** Body of `POST /api/v1/executions/{id}/rerun`: all optional; `parameters` replaces the old ones whole. */
export const RerunRequest = z
  .object({
    parameters: Parameters.optional(),
    name: z.string().min(1).max(200).optional(),
    tags: z.array(z.string().min(1).max(100)).max(20).optional(),
    queue_without_worker: z.boolean().default(false),
    /** Default: the repeated execution's priority. */
    priority: Priority.optional(),
  })
  .strict();
export type RerunRequest = z.infer<typeof RerunRequest>;

/**
 * Answer of a stop: `stopped` when the execution was still queued (removed from its queue and
 * marked stopped), `signalled` when its worker was asked to stop it (it ends in `stopped` shortly).
 */
export const StopResult = z.object({
  id: z.string(),
  outcome: z.enum(['stopped', 'signalled']),
  state: ExecutionState,
});
export type StopResult = z.infer<typeof StopResult>;

/** Measures of an execution (`GET /api/v1/executions/{id}/measures`); null until harvested. */
export const MeasuresResponse = z.object({
  id: z.string(),
  state: ExecutionState,
  measures: z.record(z.string(), z.unknown()).nullable().optional(),
  summary: z.unknown().optional(),
});
export type MeasuresResponse = z.infer<typeof MeasuresResponse>;

/** One value of `GET /api/v1/history?project=` (an object keyed by execution id, as Plz's `history`). */
export const HistoryEntry = z.object({
  metadata: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  measures: z.record(z.string(), z.unknown()).nullable(),
  summary: z.unknown().nullable(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;
export const History = z.record(z.string(), HistoryEntry);
export type History = z.infer<typeof History>;
/**
 * One line of `GET /api/v1/history?project=` asked with `Accept: application/x-ndjson`: the id and
 * the entry that the JSON object would hold under it (newline-delimited JSON, oldest first), so a
 * client prints each as it reads. The entry's parts are checked for their kind only (objects, kept
 * whole with any key a newer server adds): a client reads 10,000 of them in a row, and checking
 * each key as HistoryEntry does took 5 times as long (measured in tools/bench/growth.mjs's work).
 */
export const HistoryLine = z.object({
  id: z.string(),
  entry: z.looseObject({ metadata: z.looseObject({}), parameters: z.looseObject({}), measures: z.looseObject({}).nullable(), summary: z.unknown() }),
});
export type HistoryLine = z.infer<typeof HistoryLine>;

/** What zod takes for an object (`z.object`, `z.looseObject`): any non-null object that is not an array. */
function isObjectValue(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `value` (one parsed line of the history) checked as HistoryLine, by hand: an object whose `id`
 * is a string and whose `entry` is an object with objects at `metadata` and `parameters`, an
 * object or null at `measures`, and a `summary` key (anything), the shape HistoryLine checks (same
 * answers: tested). Zod's checked copy of each line cost `plz history` about 0.13 s of CPU for
 * 12,000 lines (cpu-prof, tools/bench/growth.mjs's history). Returns `{ id, entry }` with `entry`
 * itself (other keys of the line left out, as HistoryLine does). Whatever the check refuses goes
 * to `HistoryLine.parse`, whose ZodError names the problem.
 *
 * @throws ZodError when `value` is not a HistoryLine.
 */
export function parseHistoryLine(value: unknown): HistoryLine {
  if (isObjectValue(value) && typeof value['id'] === 'string' && isObjectValue(value['entry'])) {
    const entry = value['entry'];
    if (isObjectValue(entry['metadata']) && isObjectValue(entry['parameters']) && (entry['measures'] === null || isObjectValue(entry['measures'])) && 'summary' in entry) return { id: value['id'], entry: entry as HistoryLine['entry'] };
  }
  return HistoryLine.parse(value);
}

/** Answer of `POST /api/v1/sweeps`: the sweep id and its executions' ids, in parameter-set order. */
export const SweepCreated = z.object({ id: z.string(), executions: z.array(z.string()) });
export type SweepCreated = z.infer<typeof SweepCreated>;

/** `GET /api/v1/sweeps/{id}`: the sweep and the state of each of its executions. */
export const SweepStatus = z.object({
  id: z.string(),
  project: z.string(),
  user: z.string(),
  created_at: z.string(),
  counts: z.record(z.string(), z.number().int()),
  executions: z.array(
    z.object({
      id: z.string(),
      state: ExecutionState,
      exit_code: z.number().int().nullable(),
      parameters: z.record(z.string(), z.unknown()),
    }),
  ),
});
export type SweepStatus = z.infer<typeof SweepStatus>;

/** One sweep as listed by `GET /api/v1/sweeps`. */
export const SweepSummary = z.object({
  id: z.string(),
  project: z.string(),
  user: z.string(),
  created_at: z.string(),
  size: z.number().int(),
});
export type SweepSummary = z.infer<typeof SweepSummary>;

/** Answer of `POST /api/v1/sweeps/{id}/stop`: one StopResult per execution that was not over yet. */
export const SweepStopResult = z.object({ id: z.string(), results: z.array(StopResult) });
export type SweepStopResult = z.infer<typeof SweepStopResult>;

/** A live worker, from its heartbeat hash (keys.ts). */
/**
 * A worker's job limits (its JOB_* settings, from its heartbeat): defaults applied when a request
 * sets none, and the most it accepts. Bytes, CPUs, seconds.
 */
export const WorkerLimits = z.object({
  memory_default: z.number(),
  memory_max: z.number(),
  cpus_default: z.number(),
  cpus_max: z.number(),
  shm_size_default: z.number(),
  pids_limit: z.number(),
  max_run_seconds_default: z.number(),
  max_run_seconds_max: z.number(),
});
export type WorkerLimits = z.infer<typeof WorkerLimits>;

export const WorkerInfo = z.object({
  worker_id: z.string(),
  queue: z.string(),
  gpus: z.array(z.string()),
  execution_id: z.string().nullable(),
  /** The host the worker runs on: a worker host's name (WORKER_HOST), else its Docker engine's host name; null from workers that publish none. */
  hostname: z.string().nullable(),
  started_at: z.string().nullable(),
  heartbeat_at: z.string(),
  heartbeat_age_seconds: z.number(),
  /** Null for a worker that publishes no limits (older than limits). */
  limits: WorkerLimits.nullable(),
  /**
   * Model and memory (MiB) of each of its GPUs, from `nvidia-smi` in the worker; empty where it
   * could not read them (a CPU worker, no nvidia-smi, an older worker). Absent from older REST APIs.
   */
  gpu_details: z.array(GpuDetails).optional(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** Job counts of one BullMQ queue. */
export const QueueCounts = z.object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int() });
export type QueueCounts = z.infer<typeof QueueCounts>;

/** `GET /api/v1/workers`: live workers and the length of every known queue. */
export const WorkersResponse = z.object({
  workers: z.array(WorkerInfo),
  queues: z.record(z.string(), QueueCounts),
});
export type WorkersResponse = z.infer<typeof WorkersResponse>;

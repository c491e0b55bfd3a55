import { z } from 'zod';
import { Priority } from './queue.js';
import { Resources } from './execution.js';

/** A sha256 digest as 64 lowercase hex digits (content address of snapshots and inputs). */
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256: 64 lowercase hex digits');

/** Project names key MLflow experiments and history: letters, digits, `.`, `_`, `-`, 1 to 100 characters. */
export const ProjectName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'expected 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Job parameters: any JSON object (the job reads it from CONFIGURATION_FILE). At most 64 KiB as JSON. */
export const Parameters = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= 65536, 'parameters are limited to 64 KiB of JSON');
export type Parameters = z.infer<typeof Parameters>;

/** Where the job's input comes from: a stored input (by hash) or an earlier execution's output. */
export const InputRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('input'), sha256: Sha256 }).strict(),
  z.object({ kind: z.literal('execution_output'), execution_id: z.string().uuid() }).strict(),
]);
export type InputRef = z.infer<typeof InputRef>;

/** Body of `POST /api/v1/executions`. */
export const ExecutionSpec = z
  .object({
    project: ProjectName,
    name: z.string().min(1).max(200).optional(),
    tags: z.array(z.string().min(1).max(100)).max(20).default([]),
    snapshot: Sha256,
    input: InputRef.nullable().default(null),
    parameters: Parameters.default({}),
    resources: Resources.default({ gpus: 0 }),
    /** Wall-clock limit of the job container, in seconds; the worker stops it past that. */
    max_run_seconds: z.number().int().positive().max(30 * 24 * 3600).optional(),
    /** Queue even when no live worker serves the request's queue (it waits for one). */
    queue_without_worker: z.boolean().default(false),
    /** Priority in its queue (queue.ts): `high` is for admins or within the user's allowance. */
    priority: Priority.default('normal'),
    /**
     * Take the results of an earlier succeeded execution of the same user with the same snapshot,
     * input, parameters, resources and time limit, if there is one: the new execution is
     * `succeeded` at once with `reused_from` naming it, and no job runs. Off by default (jobs may
     * be nondeterministic).
     */
    reuse: z.boolean().default(false),
  })
  .strict();
export type ExecutionSpec = z.infer<typeof ExecutionSpec>;

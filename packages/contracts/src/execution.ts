import { z } from 'zod';

/**
 * Lifecycle of an execution (ARCHITECTURE.md §3): `queued` → `preparing` → `running` →
 * `harvesting` → one terminal state. `failed` keeps the job's exit code; `error` is an
 * infrastructure failure and keeps its reason.
 */
export const executionStates = ['queued', 'preparing', 'running', 'harvesting', 'succeeded', 'failed', 'stopped', 'error'] as const;
export const ExecutionState = z.enum(executionStates);
export type ExecutionState = z.infer<typeof ExecutionState>;

/** The states an execution never leaves. */
export type TerminalState = Extract<ExecutionState, 'succeeded' | 'failed' | 'stopped' | 'error'>;
export const terminalStates: ReadonlySet<ExecutionState> = new Set<TerminalState>(['succeeded', 'failed', 'stopped', 'error']);

/** True when an execution in `state` will never change again (narrows `state` to TerminalState). */
export function isTerminal(state: ExecutionState): state is TerminalState {
  return terminalStates.has(state);
}

/** Docker-style sizes: a number of bytes, or digits with a unit b, k, m, g (powers of 1024), e.g. `8g`. */
export const ByteSize = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*[bkmg]?$/i, 'expected a size such as 512m or 8g')])
  .transform((value) => (typeof value === 'number' ? value : parseByteSize(value)));

/** `8 GiB`, `64 MiB`, `1.5 GiB`, or bytes when smaller than a KiB: for messages about limits. */
export function formatByteSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : Number(value.toFixed(2))} ${units[unit]}`;
}

/** Parses `512m`, `8g`, `1024` into bytes (units are powers of 1024, as Docker's). */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${JSON.stringify(text)} (expected e.g. 512m or 8g)`);
  const power = { '': 0, b: 0, k: 1, m: 2, g: 3 }[match[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** What a job asks of the worker: GPUs (count), CPUs (may be fractional), memory and /dev/shm in bytes. */
export const Resources = z
  .object({
    gpus: z.number().int().min(0).max(16).default(0),
    cpus: z.number().positive().max(256).optional(),
    memory: ByteSize.optional(),
    shm_size: ByteSize.optional(),
  })
  .strict();
export type Resources = z.infer<typeof Resources>;

/**
 * Name of the BullMQ queue that serves `gpus` GPUs: `cpu` for none, `gpu` for one, `gpu-x<N>`
 * for N > 1 (ARCHITECTURE.md §3).
 */
export function queueForGpus(gpus: number): string {
  if (!Number.isInteger(gpus) || gpus < 0) throw new Error(`gpus must be a whole number >= 0, got ${gpus}`);
  if (gpus === 0) return 'cpu';
  return gpus === 1 ? 'gpu' : `gpu-x${gpus}`;
}

/**
 * GPUs of one worker of `queue`, queueForGpus inverted: `cpu` 0, `gpu` 1, `gpu-x<N>` N; 0 for any
 * other name (none is ever made).
 */
export function gpusOfQueue(queue: string): number {
  if (queue === 'gpu') return 1;
  const match = /^gpu-x(\d+)$/.exec(queue);
  return match ? Number(match[1]) : 0;
}

import type { FairShareSettings } from '@plz/contracts';
import { z } from 'zod';

/** Empty means unset (compose passes `VAR=` for a setting left blank). */
const blankIsUnset = (value: unknown) => (value === '' ? undefined : value);

/**
 * The fair-share settings of a deployment, from the environment of the REST API and of every
 * worker (the generated `envs/queue.env`, read by both): the dispatcher and the positions the
 * REST API reports follow the same rules only when both read the same file.
 *
 * - `FAIR_SHARE_WINDOW_HOURS` (1-8760, default 24): use of a queue's workers older than this is forgotten.
 * - `FAIR_SHARE_QUANTUM_SECONDS` (1-86400, default 60): every execution counts at least this long,
 *   and users' use is compared in whole quanta, so that executions shorter than it take turns.
 * - `MAX_RUNNING_PER_USER` (default unset or 0: no cap): executions of one user that the workers
 *   of one queue hold at once.
 * - `HIGH_PRIORITY_ALLOWANCE` (default 0): `high` executions a non-admin may submit per window.
 */
export const FairShareEnv = z.object({
  FAIR_SHARE_WINDOW_HOURS: z.preprocess(blankIsUnset, z.coerce.number().positive().max(8760).default(24)),
  FAIR_SHARE_QUANTUM_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).max(86_400).default(60)),
  MAX_RUNNING_PER_USER: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(100_000).default(0)),
  HIGH_PRIORITY_ALLOWANCE: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(1_000_000).default(0)),
});
export type FairShareEnv = z.infer<typeof FairShareEnv>;

/** The settings of a parsed environment, in the API's shape (seconds; a cap of 0 becomes null). */
export function fairShareSettings(env: FairShareEnv): FairShareSettings {
  return {
    window_seconds: env.FAIR_SHARE_WINDOW_HOURS * 3600,
    quantum_seconds: env.FAIR_SHARE_QUANTUM_SECONDS,
    max_running_per_user: env.MAX_RUNNING_PER_USER > 0 ? env.MAX_RUNNING_PER_USER : null,
    high_priority_allowance: env.HIGH_PRIORITY_ALLOWANCE,
  };
}

/** The defaults (24 h window, 60 s quantum, no cap, no allowance): for tests and tools. */
export const defaultFairShare: FairShareSettings = fairShareSettings(FairShareEnv.parse({}));

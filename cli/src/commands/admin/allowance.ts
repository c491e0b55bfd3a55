/** The largest allowance the REST API accepts (contracts UpdateUserRequest). */
export const maxHighPriorityAllowance = 1_000_000;

/**
 * Parses `--high-priority-allowance` as operators write it: a whole number from 0 to 1,000,000
 * (`high` executions per fair-share window; 0: none), or `default` for the deployment's
 * HIGH_PRIORITY_ALLOWANCE.
 *
 * @returns the number, or null for `default` (what `PATCH /api/v1/users/{name}` takes).
 * @throws Error with a message fit to print for anything else (a sign, a fraction, a unit, more
 *   than 1,000,000).
 */
export function parseHighPriorityAllowance(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === 'default') return null;
  if (!/^\d+$/.test(trimmed)) throw new Error(`"${text}" is not an allowance: write a whole number of high-priority executions per window (0 or more), or default for the deployment's`);
  const allowance = Number(trimmed);
  if (allowance > maxHighPriorityAllowance) throw new Error(`"${text}" is too large: at most ${maxHighPriorityAllowance}`);
  return allowance;
}

/** An allowance for people: the number, `default` for the deployment's (null), `unlimited` for an admin. */
export function formatHighPriorityAllowance(user: { role: string; high_priority_allowance?: number | null }): string {
  if (user.role === 'admin') return 'unlimited';
  // A server older than per-user allowances leaves the field out: that is the deployment's too.
  return typeof user.high_priority_allowance === 'number' ? String(user.high_priority_allowance) : 'default';
}

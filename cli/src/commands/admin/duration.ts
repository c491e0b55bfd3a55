/** Seconds in one of each unit that a duration may use. */
export const durationUnits = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** The longest duration accepted: 3650 days (a token that should outlive this has no expiry). */
export const maxDurationSeconds = 3650 * durationUnits.d;

/**
 * Parses a duration as operators write it: a whole positive number and one unit, `s` (seconds),
 * `m` (minutes), `h` (hours), `d` (days) or `w` (weeks): `3600s`, `90m`, `12h`, `30d`, `2w`.
 *
 * @returns the duration in seconds.
 * @throws Error with a message fit to print for anything else (no unit, a fraction, zero, a
 *   combination such as `1h30m`, or more than 3650 days).
 */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration: write a whole number and a unit, e.g. 3600s, 90m, 12h, 30d or 2w`);
  const seconds = Number(match[1]) * durationUnits[match[2] as keyof typeof durationUnits];
  if (seconds === 0) throw new Error(`"${text}" is not a duration: it must be more than zero`);
  if (seconds > maxDurationSeconds) throw new Error(`"${text}" is too long: at most 3650d (leave the expiry out for no expiry)`);
  return seconds;
}

/** The instant `seconds` after `now`, as ISO 8601 in UTC (`2026-12-29T10:00:00.000Z`). */
export function instantAfter(seconds: number, now: Date = new Date()): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

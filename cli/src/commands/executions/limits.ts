import type { WorkerLimits } from '@plz/contracts';

/**
 * Bytes the way Docker's `--memory` writes them: binary units (1G = 1024³ bytes), the largest unit
 * that gives at least 1, at most one decimal (`8G`, `1.5G`, `512M`, `100b`).
 */
export function formatBytes(bytes: number): string {
  const units = [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const;
  for (const [unit, size] of units) if (bytes >= size) return `${trim(bytes / size)}${unit}`;
  return `${trim(bytes)}b`;
}

/** Seconds in the largest unit that gives at least 1, at most one decimal: `30d`, `12h`, `1.5h`, `90s`. */
export function formatSeconds(seconds: number): string {
  const units = [['d', 86_400], ['h', 3600], ['m', 60]] as const;
  for (const [unit, size] of units) if (seconds >= size) return `${trim(seconds / size)}${unit}`;
  return `${trim(seconds)}s`;
}

const trim = (value: number): string => String(Math.round(value * 10) / 10);

/** `8G (max 64G)`, or the default alone when the maximum is the same or unknown. */
function pair(value: number | undefined, max: number | undefined, format: (n: number) => string): string | undefined {
  if (value === undefined && max === undefined) return undefined;
  if (value === undefined) return `max ${format(max!)}`;
  return max === undefined || max === value ? format(value) : `${format(value)} (max ${format(max)})`;
}

/**
 * A worker's job limits in one compact column, for `plz workers`:
 * `mem 8G (max 64G) cpus 4 (max 32) shm 64M pids 4096 time 3d (max 30d)` (default, then the most
 * it accepts; bytes in binary units, times in the largest whole unit). Keys missing from `limits`
 * are left out; no limits at all (a worker or deployment from before limits) give `-`.
 */
export function formatLimits(limits: Partial<WorkerLimits> | null | undefined): string {
  if (!limits) return '-';
  const parts = [
    ['mem', pair(limits.memory_default, limits.memory_max, formatBytes)],
    ['cpus', pair(limits.cpus_default, limits.cpus_max, trim)],
    ['shm', pair(limits.shm_size_default, undefined, formatBytes)],
    ['pids', pair(limits.pids_limit, undefined, String)],
    ['time', pair(limits.max_run_seconds_default, limits.max_run_seconds_max, formatSeconds)],
  ] as const;
  const shown = parts.filter(([, text]) => text !== undefined).map(([name, text]) => `${name} ${text}`);
  return shown.length ? shown.join(' ') : '-';
}

/** Result of one dependency check. */
export type CheckResult = 'ok' | string;

/** Readiness report: every dependency's check, ok only when all pass. */
export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

/** A named probe of a dependency: resolves when reachable, rejects (or times out) otherwise. */
export type Probe = () => Promise<unknown>;

/**
 * Runs every probe at once, each bounded by `timeoutMs`, and reports which failed (with the error's
 * message, never a connection string).
 */
export async function checkReadiness(probes: Record<string, Probe>, timeoutMs = 2_000): Promise<Readiness> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, CheckResult]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([probe(), timeout]);
        return [name, 'ok'];
      } catch (error) {
        return [name, error instanceof Error ? error.message || error.name : 'failed'];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  return { ok: entries.every(([, result]) => result === 'ok'), checks };
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FaultsApi } from './api.js';
import { Batch } from './batch.js';
import type { FaultDeployment } from './deployment.js';
import { faults, type Fault } from './faults.js';
import { jobSnapshot } from './job.js';
import { formatTable, rowOf, type FaultRow } from './ledger.js';
import { Stack } from './stack.js';

/** How long after a fault ended every execution must have ended (issue 15: "stuck after 5 minutes"). */
export const stuckAfterMs = 5 * 60_000;

/** The services whose logs explain a lost or stuck execution. */
const explainingServices = ['restapi', 'worker-cpu-0', 'worker-cpu-1'];

const print = (text: string) => process.stderr.write(`${text}\n`);

/**
 * Runs one fault: its scenario, then waits for every service to be healthy again and for every
 * execution to end (at most `stuckAfterMs` after the fault), then judges each. The row is returned
 * even when the scenario or the wait for health failed (the error goes into `error`).
 */
export async function runFault(fault: Fault, stack: Stack, api: FaultsApi, snapshot: string, run: string): Promise<{ row: FaultRow; error?: Error }> {
  const batch = new Batch(api, snapshot, fault.name, run);
  const notes: string[] = [];
  let error: Error | undefined;
  try {
    notes.push(...(await fault.scenario(batch, stack)).notes);
  } catch (e) {
    error = e as Error;
    notes.push(`the scenario failed: ${error.message}`);
  }
  const faultEnded = Date.now();
  try {
    notes.push(`every service healthy ${await stack.waitHealthy()} s after the fault`);
  } catch (e) {
    error ??= e as Error;
    notes.push((e as Error).message);
  }
  await batch.settle(faultEnded + stuckAfterMs);
  const judged = await batch.judge();
  if (fault.verify) {
    try {
      const problems = await fault.verify(batch, stack);
      notes.push(...problems);
      if (problems.length > 0) error ??= new Error(`${fault.name}: ${problems.join('; ')}`);
    } catch (e) {
      error ??= e as Error;
      notes.push(`the check failed: ${(e as Error).message}`);
    }
  }
  const unexplained = judged.filter((entry) => entry.verdict === 'lost' || entry.verdict === 'stuck').slice(0, 10);
  const lines = await stack.linesMentioning(unexplained.map((entry) => entry.id), explainingServices, batch.startedAt);
  const row = rowOf(fault.name, batch.submitted, batch.refusals.length, batch.recordedDespiteRefusal.length, judged, Math.round((Date.now() - batch.startedAt.getTime()) / 1000), notes);
  for (const entry of unexplained) {
    const found = lines.get(entry.id) ?? [];
    row.notes.push(`logs of ${entry.id}${found.length === 0 ? ': (no line of restapi or the workers names it)' : ':'}`, ...found.map((line) => `    ${line}`));
  }
  return error ? { row, error } : { row };
}

/**
 * Registers the fault suite (issue 15) on a running generated deployment with two CPU workers
 * (worker-cpu-0 and worker-cpu-1): one test per fault (kill -9 of a worker mid-job, Redis restarted
 * with 50 executions queued, PostgreSQL restarted while jobs run, MinIO stopped for 60 s during
 * harvest, the REST API killed during a burst of 100 submits, `docker compose restart` of the whole
 * stack), each asserting that its row shows 0 lost and 0 stuck, then a test that every service is
 * healthy. Every row is printed when its fault is done, and the whole table at the end (stderr).
 * Faults run in order on the same deployment; each waits for every service to be healthy again.
 *
 * `deployment` is called in beforeAll (the enclosing describe brings the deployment up first).
 */
export function faultSuite(deployment: () => FaultDeployment): void {
  describe('fault suite (issue 15): nothing lost, nothing stuck', () => {
    const rows: FaultRow[] = [];
    const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    let stack: Stack;
    let api: FaultsApi;
    let snapshot = '';
    const started = Date.now();

    beforeAll(async () => {
      const { project, token } = deployment();
      stack = new Stack(project);
      api = new FaultsApi(() => stack.url(), token);
      await stack.waitHealthy();
      const job = await jobSnapshot();
      snapshot = job.sha256;
      await api.retrying(() => api.putSnapshot(job.sha256, job.bytes));
      // One execution first, so that the job image is built before any fault's timing counts on it.
      const warmUp = new Batch(api, snapshot, 'warm-up', run);
      await warmUp.submit(1, 0);
      await warmUp.waitUntil('the warm-up execution to end', (statuses) => statuses.length === 1 && ['succeeded', 'failed', 'stopped', 'error'].includes(statuses[0]!.state), 600_000);
      const [judged] = await warmUp.judge();
      if (judged?.verdict !== 'succeeded') throw new Error(`the warm-up execution did not succeed: ${judged?.status?.state} ${judged?.detail}`);
    }, 900_000);

    afterAll(() => {
      if (rows.length === 0) return;
      print(`\nfault suite: ${rows.length} faults in ${Math.round((Date.now() - started) / 1000)} s on ${stack.project.name}\n${formatTable(rows)}\n\n${formatTable(rows, true)}\n`);
    });

    for (const fault of faults) {
      it(`${fault.title}: every accepted execution ends, none lost, none stuck`, async () => {
        const { row, error } = await runFault(fault, stack, api, snapshot, run);
        rows.push(row);
        print(`\nfault suite: ${fault.title}\n${formatTable([row], true)}\n`);
        if (error) throw error;
        expect({ fault: row.fault, lost: row.lost, stuck: row.stuck }).toEqual({ fault: row.fault, lost: 0, stuck: 0 });
      }, stuckAfterMs + 900_000);
    }

    it('leaves every service healthy', async () => {
      expect(await stack.unhealthy()).toEqual([]);
    }, 60_000);
  });
}

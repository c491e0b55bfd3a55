import { isTerminal, type ExecutionStatus } from '@plz/contracts';
import type { FaultsApi, Polled } from './api.js';
import { canonicalJson, expectedMeasures, expectedOutput, fileInTar, sha256, type JobParameters } from './job.js';
import type { Judged } from './ledger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` over `items`, at most `limit` at a time; results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * The executions of one fault: all submitted to one MLflow project of their own
 * (`faults-<run>-<fault>`, so that executions the REST API recorded while refusing can be found),
 * on the job snapshot, with parameters `{ fault, index, seconds }`.
 */
export class Batch {
  readonly project: string;
  readonly startedAt = new Date();
  /** Accepted executions: id → the parameters they were submitted with. */
  readonly accepted = new Map<string, JobParameters>();
  /** Why each refused submit was refused. */
  readonly refusals: string[] = [];
  /** Executions found in the project that no accepted submit returned (the client was told "refused"). */
  readonly recordedDespiteRefusal: string[] = [];
  submitted = 0;
  /** Last status read of each execution. */
  readonly last = new Map<string, Polled>();

  constructor(
    readonly api: FaultsApi,
    private readonly snapshot: string,
    readonly fault: string,
    run: string,
  ) {
    this.project = `faults-${run}-${fault}`;
  }

  /**
   * Submits one execution (never retried: see FaultsApi.submit), as the admin or as `as` (another
   * user's API).
   * @returns its id when accepted.
   */
  async submitOne(seconds: number, as: FaultsApi = this.api): Promise<string | undefined> {
    const parameters: JobParameters = { fault: this.fault, index: this.submitted, seconds };
    this.submitted += 1;
    const answer = await as.submit({ project: this.project, snapshot: this.snapshot, parameters: { ...parameters }, tags: ['fault-suite', this.fault], max_run_seconds: 900 });
    if (answer.outcome === 'accepted') this.accepted.set(answer.id, parameters);
    else this.refusals.push(answer.reason);
    return answer.outcome === 'accepted' ? answer.id : undefined;
  }

  /** Submits `count` executions, `concurrency` at a time (1: in order), as the admin or as `as`; the ids accepted. */
  async submit(count: number, seconds: number, concurrency = 8, as: FaultsApi = this.api): Promise<string[]> {
    const ids = await mapLimit(Array.from({ length: count }, (_, i) => i), concurrency, () => this.submitOne(seconds, as));
    return ids.filter((id): id is string => id !== undefined);
  }

  /** The status of one execution now with its queue position, read through the admin's API (retried while the REST API does not answer). */
  statusOf(id: string): Promise<Polled> {
    return this.api.retrying(() => this.api.status(id, true));
  }

  /** Every execution to judge: the accepted ones and those recorded despite a refusal. */
  ids(): string[] {
    return [...this.accepted.keys(), ...this.recordedDespiteRefusal];
  }

  /** Reads the status of every execution not yet ended (a failed read keeps the previous one). */
  async poll(): Promise<void> {
    const open = this.ids().filter((id) => {
      const last = this.last.get(id);
      return last === undefined || (last !== 'missing' && !isTerminal(last.state));
    });
    await mapLimit(open, 8, async (id) => {
      const polled = await this.api.status(id).catch(() => undefined);
      if (polled !== undefined) this.last.set(id, polled);
    });
  }

  /** Statuses read last, of the executions that have one. */
  statuses(): ExecutionStatus[] {
    return [...this.last.values()].filter((polled): polled is ExecutionStatus => polled !== 'missing');
  }

  /**
   * Polls until `predicate` holds on the statuses (every second).
   * @throws Error saying what was waited for after `timeoutMs`.
   */
  async waitUntil(what: string, predicate: (statuses: ExecutionStatus[]) => boolean, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      if (predicate(this.statuses())) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.fault}: gave up waiting for ${what} after ${timeoutMs / 1000} s (states: ${this.statuses().map((s) => s.state).join(', ')})`);
      }
      await sleep(1000);
    }
  }

  /** Lists the project and keeps the executions that no accepted submit returned (see recordedDespiteRefusal). */
  async findRecordedDespiteRefusal(): Promise<void> {
    const listed = await this.api.retrying(() => this.api.idsOfProject(this.project));
    for (const id of listed) if (!this.accepted.has(id) && !this.recordedDespiteRefusal.includes(id)) this.recordedDespiteRefusal.push(id);
  }

  /** Polls every 2 s until every execution has ended (or is missing) or `deadline` passes. */
  async settle(deadline: number): Promise<void> {
    for (;;) {
      await this.poll();
      const open = this.ids().filter((id) => {
        const last = this.last.get(id);
        return last === undefined || (last !== 'missing' && !isTerminal(last.state));
      });
      if (open.length === 0 || Date.now() > deadline) return;
      await sleep(2000);
    }
  }

  /** The verdict on every execution, from its last status; a succeeded one has its output and measures checked. */
  async judge(): Promise<Judged[]> {
    return mapLimit(this.ids(), 4, async (id): Promise<Judged> => {
      const last = this.last.get(id);
      if (last === 'missing') return { id, verdict: 'lost', status: undefined, detail: 'accepted, but the REST API answers 404' };
      if (last === undefined) return { id, verdict: 'stuck', status: undefined, detail: 'its status could never be read' };
      if (!isTerminal(last.state)) return { id, verdict: 'stuck', status: last, detail: `still ${last.state} at the deadline (worker ${last.worker_id ?? 'none'})` };
      if (last.state !== 'succeeded') {
        if (last.error) return { id, verdict: 'ended with a reason', status: last, detail: last.error };
        return { id, verdict: 'lost', status: last, detail: `ended ${last.state} without a reason (exit code ${last.exit_code ?? 'none'})` };
      }
      const parameters = this.accepted.get(id) ?? (await this.api.retrying(() => this.api.parameters(id)));
      const problem = await this.verify(id, parameters);
      return problem ? { id, verdict: 'lost', status: last, detail: problem } : { id, verdict: 'succeeded', status: last, detail: '' };
    });
  }

  /** Compares the output file and the measures with what the parameters give, by sha256; undefined when both match. */
  private async verify(id: string, parameters: JobParameters): Promise<string | undefined> {
    const problems: string[] = [];
    try {
      const file = await fileInTar(await this.api.retrying(() => this.api.output(id)), 'result.txt');
      if (!file) problems.push('no result.txt in its output');
      else if (sha256(file) !== sha256(expectedOutput(parameters))) problems.push(`result.txt differs (sha256 ${sha256(file).slice(0, 12)}, expected ${sha256(expectedOutput(parameters)).slice(0, 12)})`);
    } catch (error) {
      problems.push(`output unreadable: ${(error as Error).message}`);
    }
    try {
      const measured = await this.api.retrying(() => this.api.measures(id));
      const expected = expectedMeasures(parameters);
      const got = canonicalJson({ measures: measured.measures ?? null, summary: measured.summary ?? null });
      if (sha256(got) !== sha256(canonicalJson(expected))) problems.push(`measures differ: ${got.slice(0, 200)}, expected ${canonicalJson(expected)}`);
    } catch (error) {
      problems.push(`measures unreadable: ${(error as Error).message}`);
    }
    return problems.length > 0 ? `succeeded, but ${problems.join('; ')}` : undefined;
  }
}

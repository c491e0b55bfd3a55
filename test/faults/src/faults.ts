import type { Batch } from './batch.js';
import type { Stack } from './stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a fault's scenario hands back: notes for its row (who restarted what, how many were refused). */
export interface Injected {
  notes: string[];
}

/** One fault: a name for the table, what it does, and the scenario that submits, breaks and repairs. */
export interface Fault {
  name: string;
  title: string;
  /** Submits the fault's executions into `batch`, injects the fault, undoes it as an operator would. */
  scenario(batch: Batch, stack: Stack): Promise<Injected>;
}

const running = (count: number) => (statuses: Array<{ state: string }>) => statuses.filter((s) => s.state === 'running').length >= count;

/**
 * The six faults of issue 15, each on the deployment's two CPU workers. Job durations are chosen so
 * that the fault lands while jobs run (or, for MinIO, while they are harvested).
 */
export const faults: Fault[] = [
  {
    name: 'worker-kill',
    title: 'kill -9 of a worker mid-job',
    async scenario(batch, stack) {
      await batch.submit(4, 12);
      await batch.waitUntil('a job of worker-cpu-0 running', (statuses) => statuses.some((s) => s.state === 'running' && (s.worker_id ?? '').endsWith('worker-cpu-0')));
      await sleep(3000);
      await stack.kill('worker-cpu-0');
      const back = await stack.backAfterKill('worker-cpu-0');
      return { notes: [`worker-cpu-0 killed (SIGKILL) while running a job; brought back by ${back}`] };
    },
  },
  {
    name: 'redis-restart',
    title: 'Redis restarted with 50 executions queued',
    async scenario(batch, stack) {
      // Both workers busy first, so that the 50 wait in the queue.
      await batch.submit(2, 25);
      await batch.waitUntil('both workers running a job', running(2));
      await batch.submit(50, 1);
      await stack.compose(['restart', 'redis']);
      return { notes: ['2 executions of 25 s on both workers, then 50 of 1 s queued behind them; `docker compose restart redis`'] };
    },
  },
  {
    name: 'postgres-restart',
    title: 'PostgreSQL restarted while jobs run',
    async scenario(batch, stack) {
      await batch.submit(4, 12);
      await batch.waitUntil('both workers running a job', running(2));
      await sleep(3000);
      await stack.compose(['restart', 'db']);
      return { notes: ['4 executions of 12 s; `docker compose restart db` while 2 ran and 2 were queued'] };
    },
  },
  {
    name: 'minio-outage',
    title: 'MinIO stopped for 60 s during harvest',
    async scenario(batch, stack) {
      await batch.submit(4, 8);
      await batch.waitUntil('both workers running a job', running(2));
      // The running jobs end (and are harvested) within the 60 s; the queued ones start during them.
      await stack.compose(['stop', 'minio']);
      await sleep(60_000);
      await stack.compose(['start', 'minio']);
      return { notes: ['4 executions of 8 s; `docker compose stop minio` while 2 ran, `start` 60 s later'] };
    },
  },
  {
    name: 'restapi-kill',
    title: 'the REST API killed during a burst of 100 submits',
    async scenario(batch, stack) {
      // 100 submits, one every 20 ms without waiting for answers (many are in flight at once); the
      // REST API is killed 400 ms into the burst, and started again as an operator would.
      let back = '';
      const killed = (async () => {
        await sleep(400);
        await stack.kill('restapi');
        back = await stack.backAfterKill('restapi', 5_000);
      })();
      const inFlight: Array<Promise<void>> = [];
      for (let i = 0; i < 100; i += 1) {
        inFlight.push(batch.submitOne(0));
        await sleep(20);
      }
      await Promise.all([...inFlight, killed]);
      await stack.waitHealthy();
      await batch.findRecordedDespiteRefusal();
      const reasons = new Map<string, number>();
      for (const reason of batch.refusals) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      return {
        notes: [
          `restapi killed (SIGKILL) 400 ms into a burst of 100 submits (one every 20 ms); brought back by ${back}`,
          `${batch.accepted.size} accepted, ${batch.refusals.length} refused (${[...reasons].map(([reason, count]) => `${count} × ${reason}`).join('; ')}), ${batch.recordedDespiteRefusal.length} of the refused recorded all the same`,
        ],
      };
    },
  },
  {
    name: 'stack-restart',
    title: '`docker compose restart` of the whole stack mid-run',
    async scenario(batch, stack) {
      await batch.submit(4, 12);
      await batch.waitUntil('both workers running a job', running(2));
      await sleep(3000);
      await stack.compose(['restart']);
      return { notes: ['4 executions of 12 s; `docker compose restart` while 2 ran and 2 were queued'] };
    },
  },
];

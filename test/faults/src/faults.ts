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
  /** Checks of its own once every execution has ended: the problems found (none: it held). */
  verify?(batch: Batch, stack: Stack): Promise<string[]>;
}

const running = (count: number) => (statuses: Array<{ state: string }>) => statuses.filter((s) => s.state === 'running').length >= count;

/** The dispatch order the queue-order fault expects after its restarts: ids by the position `status` gave before them. */
let predictedOrder: string[] = [];

/**
 * The six faults of issue 15, and the dispatch order across restarts (issue 20), each on the
 * deployment's two CPU workers. Job durations are chosen so
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
      const inFlight: Array<Promise<unknown>> = [];
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
    name: 'queue-order',
    title: 'Redis, the REST API and a worker restarted with two users queued',
    async scenario(batch, stack) {
      // Both workers busy, then two users of their own queue behind them: their positions are
      // read, then Redis is restarted, the REST API killed and a worker restarted gracefully (it
      // re-attaches to its running job); the workers must then take them in the positions' order.
      await batch.submit(2, 40);
      await batch.waitUntil('both workers running a job', running(2));
      const tag = batch.project.slice(-12).replace(/[^a-z0-9]/g, '');
      const first = await batch.api.newUser(`faults-a-${tag}`);
      const second = await batch.api.newUser(`faults-b-${tag}`);
      const ids = [...(await batch.submit(6, 1, 1, first)), ...(await batch.submit(4, 1, 1, second))];
      const positions = new Map<string, number>();
      for (const id of ids) {
        const status = await batch.statusOf(id);
        if (status === 'missing' || !status.queue_position) throw new Error(`execution ${id} has no queue position (${status === 'missing' ? 'missing' : status.state})`);
        positions.set(id, status.queue_position.position);
      }
      predictedOrder = [...positions].sort((a, b) => a[1] - b[1]).map(([id]) => id);
      await stack.compose(['restart', 'redis']);
      await stack.kill('restapi');
      const back = await stack.backAfterKill('restapi');
      await stack.compose(['restart', 'worker-cpu-1']);
      return {
        notes: [
          `2 executions of 40 s on both workers, then 6 of user a and 4 of user b (1 s) queued behind them at positions 1-${ids.length}; ` +
            `\`docker compose restart redis\`, restapi killed (brought back by ${back}), \`docker compose restart worker-cpu-1\``,
        ],
      };
    },
    async verify(_batch, stack) {
      const rows = await stack.sql(`SELECT id, attempts FROM executions WHERE id IN (${predictedOrder.map((id) => `'${id}'`).join(', ')}) ORDER BY claimed_at, id`);
      const taken = rows.map((row) => row.split(' ')[0]!);
      const problems: string[] = [];
      if (taken.join(' ') !== predictedOrder.join(' ')) problems.push(`taken in another order than the positions said: ${taken.map((id) => predictedOrder.indexOf(id) + 1).join(', ')}`);
      const again = rows.filter((row) => row.split(' ')[1] !== '1');
      if (again.length > 0) problems.push(`taken more than once: ${again.join('; ')}`);
      return problems;
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

import { heartbeatLimits, type WorkerHeartbeat, type WorkersResponse } from '@plz/contracts';
import { readHeartbeats } from '@plz/lifecycle';
import type { JobQueues } from '../adapters/job-queues.js';
import type { Redis } from '../adapters/redis.js';

/** Live workers (from their heartbeats) and queue lengths. */
export class WorkerDirectory {
  private cached: { at: number; heartbeats: WorkerHeartbeat[] } | undefined;
  private refreshing: Promise<WorkerHeartbeat[]> | undefined;

  /**
   * @param cacheMs how long a read of the heartbeats serves submissions before it is refreshed
   *   (heartbeats come every 5 s and live 30 s, so a second changes little; it spares a scan of
   *   Redis per submission). A read up to five times that old is still served while the refresh
   *   runs in the background, so submissions never wait for the scan. 0: read every time.
   */
  constructor(
    private readonly redis: Redis,
    private readonly queues: JobQueues,
    private readonly cacheMs = 1_000,
  ) {}

  private refresh(): Promise<WorkerHeartbeat[]> {
    this.refreshing ??= readHeartbeats(this.redis)
      .then((heartbeats) => {
        this.cached = { at: Date.now(), heartbeats };
        return heartbeats;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Heartbeats of the live workers, by worker id (see the constructor for how fresh). */
  async live(): Promise<WorkerHeartbeat[]> {
    if (this.cacheMs <= 0) return readHeartbeats(this.redis);
    const age = this.cached ? Date.now() - this.cached.at : Infinity;
    if (age < this.cacheMs) return this.cached!.heartbeats;
    const refreshed = this.refresh();
    if (age < 5 * this.cacheMs) {
      refreshed.catch(() => undefined); // a failed background refresh is retried by the next caller
      return this.cached!.heartbeats;
    }
    return refreshed;
  }

  /**
   * Every live worker with its queue, GPUs, current execution, heartbeat age (seconds, one
   * decimal), job limits (null for a worker that publishes none) and GPU models and memory (empty where
   * the worker could not read them), and the waiting/active/delayed counts of every queue that has had a job or has a worker.
   */
  async overview(now = Date.now()): Promise<WorkersResponse> {
    const [heartbeats, known] = await Promise.all([readHeartbeats(this.redis), this.queues.names()]);
    const names = [...new Set([...known, ...heartbeats.map((beat) => beat.queue)])].sort();
    const lengths = await Promise.all(names.map(async (name) => [name, await this.queues.length(name)] as const));
    return {
      workers: heartbeats.map((beat) => ({
        worker_id: beat.worker_id,
        queue: beat.queue,
        gpus: beat.gpus,
        execution_id: beat.execution_id,
        hostname: beat.hostname ?? null,
        started_at: beat.started_at ?? null,
        heartbeat_at: beat.heartbeat_at,
        heartbeat_age_seconds: Math.max(0, Math.round((now - Date.parse(beat.heartbeat_at)) / 100) / 10),
        limits: heartbeatLimits(beat),
        gpu_details: beat.gpu_details ?? [],
      })),
      queues: Object.fromEntries(lengths),
    };
  }
}

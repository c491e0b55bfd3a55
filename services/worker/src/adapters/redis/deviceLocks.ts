import type { Redis } from 'ioredis';

/** Redis key of the lock of GPU `deviceId` on the Docker host whose engine id is `engineId`. */
export const deviceLockKey = (engineId: string, deviceId: string): string => `plz:gpu-locks:${engineId}:${deviceId}`;

// Sets the lock when free or already ours; returns the holder otherwise.
const TAKE = `local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ARGV[1] end
return holder`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * GPU locks: `plz:gpu-locks:<docker engine id>:<device id>` holds the id of the worker that owns
 * the device on that Docker host (device ids are per host, the engine id names the host). A worker
 * takes its locks at start and refuses to run when another worker id holds one; they expire after
 * `ttlMs` unless refreshed with the heartbeat, so a dead worker's GPUs are free again soon. A
 * restarted worker (same id) takes its own locks back at once.
 */
export class DeviceLocks {
  constructor(
    private readonly redis: Redis,
    private readonly engineId: string,
    private readonly workerId: string,
    private readonly deviceIds: readonly string[],
    private readonly ttlMs: number,
  ) {}

  /**
   * Takes (or refreshes) every lock.
   *
   * @throws Error naming the device and the worker holding it (all of this worker's locks are
   *   then released: it must not keep some of its GPUs from others while it cannot run).
   */
  async take(): Promise<void> {
    for (const deviceId of this.deviceIds) {
      const holder = (await this.redis.eval(TAKE, 1, deviceLockKey(this.engineId, deviceId), this.workerId, String(this.ttlMs))) as string;
      if (holder !== this.workerId) {
        await this.release();
        throw new Error(`GPU ${deviceId} of this Docker host is held by worker ${holder}: two workers must never share a GPU (check NVIDIA_VISIBLE_DEVICES)`);
      }
    }
  }

  /** Releases the locks this worker holds. */
  async release(): Promise<void> {
    for (const deviceId of this.deviceIds) await this.redis.eval(RELEASE, 1, deviceLockKey(this.engineId, deviceId), this.workerId);
  }
}

import { compareEntryIds, LogStream, type LogEntry } from '@plz/lifecycle';
import type { Redis } from '../../adapters/redis.js';

/** Tuning of the shared log reader. */
export interface LogFanoutOptions {
  /** How long one XREAD BLOCK waits, ms (a new stream to follow interrupts it at once). */
  blockMs: number;
  /** Entries read per stream per Redis call. */
  pageSize: number;
  /** Entries a follower may have waiting before it is told to catch up from the stream itself. */
  maxQueued: number;
}

/** What a follower's wait returns: new entries (possibly some it already has), or a request to re-read the stream after its last entry. */
export type FollowerBatch = { entries: LogEntry[]; resync: false } | { entries: []; resync: true };

/** One follower of one execution's live log (LogFanout.follow). */
export interface LogFollower {
  /**
   * The entries read for this follower since the last call, waiting up to `timeoutMs` for some;
   * an empty batch after the wait. Entries may repeat ones the follower read itself (it skips
   * those by id); `resync` means it fell behind by more than `maxQueued` and must read the stream
   * from its last entry.
   */
  next(timeoutMs: number, signal: AbortSignal): Promise<FollowerBatch>;
  /** Stops following (idempotent). */
  close(): void;
}

class Follower implements LogFollower {
  private queued: LogEntry[] = [];
  private behind = false;
  private waiting: (() => void) | undefined;

  constructor(
    private readonly maxQueued: number,
    private readonly leave: (follower: Follower) => void,
  ) {}

  push(entries: readonly LogEntry[]): void {
    if (this.behind) return;
    if (this.queued.length + entries.length > this.maxQueued) {
      this.queued = [];
      this.behind = true;
    } else this.queued.push(...entries);
    this.waiting?.();
  }

  async next(timeoutMs: number, signal: AbortSignal): Promise<FollowerBatch> {
    if (this.queued.length === 0 && !this.behind && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.waiting = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done, { once: true });
        this.waiting = done;
      });
    }
    if (this.behind) {
      this.behind = false;
      return { entries: [], resync: true };
    }
    const entries = this.queued;
    this.queued = [];
    return { entries, resync: false };
  }

  close(): void {
    this.leave(this);
  }
}

/**
 * The followers of live logs in one REST API process share one Redis connection (issue 17): one
 * loop of XREAD BLOCK over the streams of every execution someone follows, each from the last entry
 * it delivered, hands each batch to that execution's followers. A follower joining a stream that is
 * not read yet interrupts the wait (CLIENT UNBLOCK, Redis 5+) so that its stream is in the next
 * read; joining one that is read already costs nothing in Redis. Followers read what came before
 * they joined from the stream themselves (XRANGE), and skip by id what they get twice.
 */
export class LogFanout {
  private readonly followers = new Map<string, Set<Follower>>();
  /** Per followed execution: the id after which the next read starts. */
  private readonly cursors = new Map<string, string>();
  private connection: Redis | undefined;
  private clientId: number | undefined;
  private blocked = false;
  private idle: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: LogFanoutOptions,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Number of executions whose logs are being read, and of followers (for tests and metrics). */
  get size(): { executions: number; followers: number } {
    let followers = 0;
    for (const set of this.followers.values()) followers += set.size;
    return { executions: this.followers.size, followers };
  }

  /**
   * Follows the live log of `executionId` from after entry `after` (`0-0` for the start). The
   * follower then reads entries as they come; close it when done.
   */
  follow(executionId: string, after: string): LogFollower {
    if (this.closed) throw new Error('the log reader is closed');
    const follower = new Follower(this.options.maxQueued, (leaving) => this.leave(executionId, leaving));
    let set = this.followers.get(executionId);
    if (!set) {
      set = new Set();
      this.followers.set(executionId, set);
      this.cursors.set(executionId, after);
      this.interrupt();
    }
    set.add(follower);
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    return follower;
  }

  private leave(executionId: string, follower: Follower): void {
    const set = this.followers.get(executionId);
    if (!set?.delete(follower) || set.size > 0) return;
    this.followers.delete(executionId);
    this.cursors.delete(executionId);
  }

  /** Makes the loop read the current set of streams now: ends its blocking read, or its idle wait. */
  private interrupt(): void {
    if (this.idle) this.idle();
    else if (this.blocked && this.clientId !== undefined) {
      this.redis.client('UNBLOCK', this.clientId).catch((error: unknown) => this.onError(error));
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.followers.size === 0) {
        await new Promise<void>((resolve) => {
          this.idle = () => {
            this.idle = undefined;
            resolve();
          };
        });
        continue;
      }
      try {
        const connection = await this.reader();
        const positions = new Map(this.cursors);
        this.blocked = true;
        let found: Map<string, LogEntry[]>;
        try {
          found = await new LogStream(connection).waitForMany(positions, this.options.blockMs, this.options.pageSize);
        } finally {
          this.blocked = false;
        }
        for (const [executionId, entries] of found) {
          const last = entries.at(-1);
          if (!last || !this.cursors.has(executionId)) continue;
          if (compareEntryIds(last.id, this.cursors.get(executionId)!) > 0) this.cursors.set(executionId, last.id);
          for (const follower of this.followers.get(executionId) ?? []) follower.push(entries);
        }
      } catch (error) {
        if (this.closed) return;
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** The blocking connection (a duplicate of the shared one) and its client id, for CLIENT UNBLOCK. */
  private async reader(): Promise<Redis> {
    if (!this.connection) {
      this.connection = this.redis.duplicate({ connectionName: 'plz-log-followers' });
      this.connection.on('error', (error: unknown) => this.onError(error));
      this.connection.on('ready', () => {
        this.clientId = undefined;
      });
    }
    this.clientId ??= Number(await this.connection.client('ID'));
    return this.connection;
  }

  /** Ends the loop and the connection; followers get no more entries. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle?.();
    this.connection?.disconnect();
    await this.loop?.catch(() => undefined);
  }
}

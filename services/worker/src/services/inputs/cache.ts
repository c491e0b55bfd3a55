import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Logger } from '../../logger.js';
import { discard, extractInput, InputArchiveError, makeReadOnly, removeTree, temporaryName } from './extract.js';

/**
 * Layout of the cache folder (one worker's; INPUT_CACHE_DIR):
 * - `inputs/<sha256>/data/`: the extracted input, read-only, mounted read-only at /plz/input;
 * - `inputs/<sha256>/entry.json`: written last, before the entry is renamed into place; its
 *   modification time is the entry's last use (touched at each use, for the LRU order);
 * - `snapshots/<sha256>/context.tar.gz` and `entry.json`: a snapshot (job image build context),
 *   kept for the next build of the same snapshot (after its image was pruned), under the same cap;
 * - `tmp/`: extractions under way (cleared at start), renamed into `inputs/` once complete;
 * - `trash/`: entries being removed (renamed there first, so a half-removed one is never used).
 */
const EntryRecord = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0), entries: z.number().int().min(0) });
type EntryRecord = z.infer<typeof EntryRecord>;

const Sha256 = /^[0-9a-f]{64}$/;
const snapshotFile = 'context.tar.gz';

/** What an entry holds: an extracted input (a folder) or a snapshot (one file). */
export type EntryKind = 'inputs' | 'snapshots';

export interface InputCacheDeps {
  /** Reads `plz-inputs/<sha256>.tar` (rejects with the store's error, e.g. ObjectNotFoundError). */
  read(sha256: string): Promise<Readable>;
  /** Reads `plz-snapshots/<sha256>.tar.gz` (likewise); none: snapshots are not kept. */
  readSnapshot?(sha256: string): Promise<Readable>;
  /** Host paths that containers (any state) mount: entries whose data folder is among them are kept. */
  mountSourcesInUse(): Promise<Set<string>>;
  logger: Logger;
}

export interface InputCacheSettings {
  /** The cache folder as the worker sees it (absolute). */
  dir: string;
  /** The same folder as the Docker host names it (bind sources of job containers); `dir` when the worker is not in a container. */
  hostDir: string;
  /** Bytes of extracted inputs kept (regular files' sizes); past it the least recently used are removed. */
  capBytes: number;
}

/** An input held for one job container: mount `hostPath` read-only, then call release(). */
export interface HeldInput {
  /** Absolute host path of the extracted input (the bind source). */
  hostPath: string;
  /** True when the input was in the cache already (nothing downloaded or extracted). */
  hit: boolean;
  /** Ends the hold (once the container that mounts it exists, or when preparing failed). */
  release(): void;
}

/** Counters since start, for tests and logs. */
export interface InputCacheCounters {
  hits: number;
  /** Input objects downloaded and extracted. */
  extractions: number;
  snapshotHits: number;
  /** Snapshot objects downloaded. */
  snapshotDownloads: number;
  evictions: number;
}

/**
 * A content-addressed cache of extracted inputs on the worker's disk (issue 17 item 2): an input
 * is downloaded and extracted once (checked, see extractInput; into `tmp/`, then renamed into
 * place, so a crash or a failure mid-extraction leaves nothing that is used), then given to every
 * job that names it as a read-only bind mount, without copying. Past `capBytes`, the least
 * recently used entries are removed, never one held by a job being prepared (in memory) nor one
 * that a container mounts (asked of Docker, so this survives worker restarts and covers jobs left
 * running across one). The folder belongs to one worker process.
 */
export class InputCache {
  private readonly holds = new Map<string, number>();
  /** When each input's last hold ended (ms): a container created just before may be missing from a listing begun earlier. */
  private readonly releasedAt = new Map<string, number>();
  private readonly extracting = new Map<string, Promise<void>>();
  private pruning: Promise<void> = Promise.resolve();
  /** Serialises "is the entry whole? touch it" of hold() with "is it held? rename it away" of prune(). */
  private locked: Promise<unknown> = Promise.resolve();
  readonly counters: InputCacheCounters = { hits: 0, extractions: 0, snapshotHits: 0, snapshotDownloads: 0, evictions: 0 };

  constructor(
    private readonly deps: InputCacheDeps,
    readonly settings: InputCacheSettings,
  ) {}

  private entry(sha256: string, kind: EntryKind = 'inputs'): string {
    return path.join(this.settings.dir, kind, sha256);
  }

  /** Host path of an entry's data folder (what job containers mount). */
  hostPath(sha256: string): string {
    return path.join(this.settings.hostDir, 'inputs', sha256, 'data');
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.locked.then(work);
    this.locked = result.catch(() => undefined);
    return result;
  }

  /**
   * Touches the entry's record when the entry is whole (its last use), under the lock; false when
   * it is not. With `then`, runs it too under the lock (opening a snapshot before a prune can move it).
   */
  private touch(sha256: string, kind: EntryKind = 'inputs', then?: () => Promise<void>): Promise<boolean> {
    return this.exclusive(async () => {
      if (!(await this.record(sha256, kind))) return false;
      const now = new Date();
      await utimes(path.join(this.entry(sha256, kind), 'entry.json'), now, now);
      await then?.();
      return true;
    });
  }

  /** Creates the folders and clears what a previous process left (extractions under way, removals). */
  async start(): Promise<void> {
    for (const folder of ['inputs', 'snapshots', 'tmp', 'trash']) await mkdir(path.join(this.settings.dir, folder), { recursive: true });
    for (const folder of ['tmp', 'trash']) {
      for (const name of await readdir(path.join(this.settings.dir, folder))) await discard(path.join(this.settings.dir, folder, name));
    }
  }

  /** The entry's record when it is complete and whole, else undefined. */
  private async record(sha256: string, kind: EntryKind = 'inputs'): Promise<EntryRecord | undefined> {
    try {
      const parsed = EntryRecord.safeParse(JSON.parse(await readFile(path.join(this.entry(sha256, kind), 'entry.json'), 'utf8')));
      if (!parsed.success || parsed.data.sha256 !== sha256) return undefined;
      if (kind === 'inputs' && !(await stat(path.join(this.entry(sha256), 'data'))).isDirectory()) return undefined;
      if (kind === 'snapshots' && (await stat(path.join(this.entry(sha256, kind), snapshotFile))).size !== parsed.data.bytes) return undefined;
      return parsed.data;
    } catch {
      return undefined;
    }
  }

  /**
   * Holds the input `sha256` for a job: from the cache (its use time touched), else downloaded
   * and extracted first (one extraction at a time per input; a damaged entry in the way is
   * removed). After an extraction, least recently used entries are removed in the background.
   *
   * @throws InputArchiveError for an archive that cannot be used (bad entries, damaged bytes);
   *   the store's error when the object cannot be read (ObjectNotFoundError when missing).
   */
  async hold(sha256: string): Promise<HeldInput> {
    if (!Sha256.test(sha256)) throw new InputArchiveError(`"${sha256}" is not a sha256`);
    this.holds.set(sha256, (this.holds.get(sha256) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.releasedAt.set(sha256, Date.now());
      const left = (this.holds.get(sha256) ?? 1) - 1;
      if (left > 0) this.holds.set(sha256, left);
      else this.holds.delete(sha256);
    };
    try {
      const hit = await this.touch(sha256);
      if (hit) {
        this.counters.hits += 1;
      } else {
        let pending = this.extracting.get(sha256);
        if (!pending) {
          pending = this.fill(sha256).finally(() => this.extracting.delete(sha256));
          this.extracting.set(sha256, pending);
        }
        await pending;
        // held since before the extraction: no prune removes it now
        if (!(await this.touch(sha256))) throw new Error(`input ${sha256} was extracted but its cache entry is not whole`);
        void this.prune();
      }
      return { hostPath: this.hostPath(sha256), hit, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  private async fill(sha256: string): Promise<void> {
    const entry = this.entry(sha256);
    // an entry without a whole record: an earlier process died or its files were damaged
    if (await stat(entry).catch(() => undefined)) await this.remove(sha256);
    const temporary = path.join(this.settings.dir, 'tmp', temporaryName(sha256));
    await mkdir(path.join(temporary, 'data'), { recursive: true });
    try {
      const started = Date.now();
      const extracted = await extractInput(await this.deps.read(sha256), path.join(temporary, 'data'), sha256);
      await makeReadOnly(path.join(temporary, 'data'), extracted.executables);
      const record: EntryRecord = { sha256, bytes: extracted.bytes, entries: extracted.entries };
      await writeFile(path.join(temporary, 'entry.json'), `${JSON.stringify(record)}\n`, { mode: 0o644 });
      await rename(temporary, entry);
      this.counters.extractions += 1;
      this.deps.logger.info({ input: sha256, bytes: extracted.bytes, entries: extracted.entries, ms: Date.now() - started }, 'input extracted into the cache');
    } catch (error) {
      await discard(temporary);
      throw error;
    }
  }

  /**
   * Removes one entry: renamed into `trash/` first (so it is gone from `inputs/` at once), then
   * deleted. With `unless`, under the lock, and only when `unless()` is false then.
   *
   * @returns whether the entry was removed.
   */
  private async remove(sha256: string, unless?: () => boolean, kind: EntryKind = 'inputs'): Promise<boolean> {
    const trash = path.join(this.settings.dir, 'trash', temporaryName(sha256));
    const move = async () => {
      if (unless?.()) return false;
      try {
        await rename(this.entry(sha256, kind), trash);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
    };
    const moved = unless ? await this.exclusive(move) : await move();
    if (moved) await removeTree(trash);
    return moved;
  }

  /**
   * The snapshot `sha256` (its tar.gz, the job image's build context) as a stream of a file opened
   * in the cache: kept there from an earlier build (its use time touched), else downloaded first
   * (hashed: a download that does not hash to `sha256` is not kept). The file is opened before
   * any prune can remove it, so the stream reads it whole even then.
   *
   * @throws InputArchiveError when the stored bytes do not match `sha256`; the store's error when
   *   the object cannot be read (ObjectNotFoundError when missing).
   */
  async readSnapshot(sha256: string): Promise<Readable> {
    const read = this.deps.readSnapshot;
    if (!Sha256.test(sha256) || !read) throw new InputArchiveError(`no snapshot ${sha256} can be kept`);
    const key = `snapshots/${sha256}`;
    const file = path.join(this.entry(sha256, 'snapshots'), snapshotFile);
    let opened: Awaited<ReturnType<typeof open>> | undefined;
    const openIt = async () => {
      opened = await open(file, 'r');
    };
    if (await this.touch(sha256, 'snapshots', openIt)) {
      this.counters.snapshotHits += 1;
    } else {
      let pending = this.extracting.get(key);
      if (!pending) {
        pending = this.download(sha256, read).finally(() => this.extracting.delete(key));
        this.extracting.set(key, pending);
      }
      await pending;
      if (!(await this.touch(sha256, 'snapshots', openIt))) throw new Error(`snapshot ${sha256} was downloaded but its cache entry is not whole`);
      void this.prune();
    }
    return opened!.createReadStream();
  }

  private async download(sha256: string, read: (sha256: string) => Promise<Readable>): Promise<void> {
    const entry = this.entry(sha256, 'snapshots');
    if (await stat(entry).catch(() => undefined)) await this.remove(sha256, undefined, 'snapshots');
    const temporary = path.join(this.settings.dir, 'tmp', temporaryName(sha256));
    await mkdir(temporary, { recursive: true });
    try {
      const hash = createHash('sha256');
      let bytes = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(await read(sha256), hashing, createWriteStream(path.join(temporary, snapshotFile), { mode: 0o444 }));
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new InputArchiveError(`the snapshot's bytes hash to ${actual}, not to its name ${sha256}: the stored object is damaged`);
      const record: EntryRecord = { sha256, bytes, entries: 1 };
      await writeFile(path.join(temporary, 'entry.json'), `${JSON.stringify(record)}\n`, { mode: 0o644 });
      await rename(temporary, entry);
      this.counters.snapshotDownloads += 1;
    } catch (error) {
      await discard(temporary);
      throw error;
    }
  }

  /**
   * Removes the least recently used entries until the rest fit in `capBytes`, skipping those held
   * or mounted by a container. One prune at a time; errors are logged, never thrown.
   */
  prune(): Promise<void> {
    this.pruning = this.pruning.then(() => this.pruneNow()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'cannot prune the input cache'));
    return this.pruning;
  }

  private async pruneNow(): Promise<void> {
    const listed: Array<{ kind: EntryKind; sha256: string; bytes: number; usedMs: number }> = [];
    for (const kind of ['inputs', 'snapshots'] as const) {
      for (const name of await readdir(path.join(this.settings.dir, kind))) {
        if (!Sha256.test(name)) continue;
        const record = await this.record(name, kind);
        const used = await stat(path.join(this.entry(name, kind), 'entry.json')).catch(() => undefined);
        listed.push({ kind, sha256: name, bytes: record?.bytes ?? 0, usedMs: record && used ? used.mtimeMs : 0 });
      }
    }
    let total = listed.reduce((sum, item) => sum + item.bytes, 0);
    if (total <= this.settings.capBytes) return;
    const listedAt = Date.now();
    const mounted = await this.deps.mountSourcesInUse();
    const kept = (sha256: string) => this.holds.has(sha256) || this.extracting.has(sha256) || (this.releasedAt.get(sha256) ?? 0) >= listedAt;
    for (const item of listed.sort((a, b) => a.usedMs - b.usedMs)) {
      if (total <= this.settings.capBytes) break;
      if (item.kind === 'inputs' && mounted.has(this.hostPath(item.sha256))) continue;
      // a snapshot being read was opened under the lock: moving it away leaves the open file readable
      const unless = item.kind === 'inputs' ? () => kept(item.sha256) : () => this.extracting.has(`snapshots/${item.sha256}`);
      if (!(await this.remove(item.sha256, unless, item.kind))) continue;
      total -= item.bytes;
      this.counters.evictions += 1;
      this.releasedAt.delete(item.sha256);
      this.deps.logger.info({ [item.kind === 'inputs' ? 'input' : 'snapshot']: item.sha256, bytes: item.bytes }, `${item.kind === 'inputs' ? 'input' : 'snapshot'} removed from the cache (least recently used)`);
    }
  }

  /** Waits for the prune under way, if any (tests, shutdown). */
  settled(): Promise<void> {
    return this.pruning;
  }
}

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { PlzFolders } from './plzFolders.js';

const ids = ['0b9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f', '1c9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f', '2d9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f'] as const;

describe('the output, measures and summary folders of executions (on the real file system)', () => {
  let dir: string;
  let folders: PlzFolders;
  const age = (id: string, seconds: number) => {
    const when = new Date(Date.now() - seconds * 1000);
    utimesSync(path.join(dir, 'plz', id), when, when);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plz-folders-'));
    folders = new PlzFolders({ dir, hostDir: '/host/cache/cpu-0' });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("makes an execution's output, measures and summary folders, world-writable, and answers its host path", async () => {
    const folder = await folders.create(ids[0]);
    expect(folder).toEqual({ dir: path.join(dir, 'plz', ids[0]), hostPath: `/host/cache/cpu-0/plz/${ids[0]}` });
    for (const part of ['output', 'measures', 'summary']) expect(statSync(path.join(folder.dir, part)).mode & 0o7777).toBe(0o777);
    expect(readdirSync(folder.dir).sort()).toEqual(['measures', 'output', 'summary']);
    expect(await folders.existing(ids[0])).toEqual(folder);
    expect(await folders.existing(ids[1])).toBeUndefined();
  });

  it('makes it afresh over a leftover, and removes it with what the job left, links not followed', async () => {
    const outside = path.join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keep.txt'), 'keep');
    const folder = await folders.create(ids[0]);
    writeFileSync(path.join(folder.dir, 'output', 'old.txt'), 'old');
    symlinkSync(outside, path.join(folder.dir, 'output', 'link'));
    await folders.create(ids[0]);
    expect(readdirSync(path.join(folder.dir, 'output'))).toEqual([]);
    symlinkSync(outside, path.join(folder.dir, 'measures', 'link'));
    await folders.remove(ids[0]);
    expect(existsSync(folder.dir)).toBe(false);
    expect(readdirSync(outside)).toEqual(['keep.txt']);
    await folders.remove(ids[0]);
  });

  it('refuses a name that is not an execution id (no path out of its folder)', async () => {
    await expect(folders.create('../../etc')).rejects.toThrow('not an execution id');
    await expect(folders.remove('..')).rejects.toThrow('not an execution id');
  });

  it('prunes the folders no container mounts, once older than the grace', async () => {
    for (const id of ids) await folders.create(id);
    mkdirSync(path.join(dir, 'plz', 'stray'));
    for (const id of [...ids, 'stray']) age(id, 120);
    age(ids[2], 1);
    // ids[0] is mounted; ids[1] and the stray folder are old and unmounted; ids[2] is too recent
    expect(await folders.prune(new Set([`/host/cache/cpu-0/plz/${ids[0]}/output`]))).toBe(2);
    expect(readdirSync(path.join(dir, 'plz')).sort()).toEqual([ids[0], ids[2]].sort());
    rmSync(path.join(dir, 'plz'), { recursive: true });
    expect(await folders.prune(new Set())).toBe(0);
  });
});

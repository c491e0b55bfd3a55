import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigurationFiles } from './configurationFiles.js';

const ids = ['0b9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f', '1c9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f', '2d9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f'] as const;

describe('configuration files of job containers (on the real file system)', () => {
  let dir: string;
  let files: ConfigurationFiles;
  const folder = () => path.join(dir, 'configurations');
  const age = (name: string, seconds: number) => {
    const when = new Date(Date.now() - seconds * 1000);
    utimesSync(path.join(folder(), name), when, when);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plz-configurations-'));
    files = new ConfigurationFiles({ dir, hostDir: '/host/cache/cpu-0' });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file per execution, read-only, and answers its host path', async () => {
    const written = await files.write(ids[0], '{"parameters": {}}\n');
    expect(written.hostPath).toBe(`/host/cache/cpu-0/configurations/${ids[0]}.json`);
    const file = path.join(folder(), `${ids[0]}.json`);
    expect(readFileSync(file, 'utf8')).toBe('{"parameters": {}}\n');
    expect(statSync(file).mode & 0o777).toBe(0o444);
    // written again (a preparation tried again): replaced whole, no temporary file left
    await files.write(ids[0], '{"parameters": {"lr": 1}}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"parameters": {"lr": 1}}\n');
    expect(readdirSync(folder())).toEqual([`${ids[0]}.json`]);
    await files.remove(ids[0]);
    expect(existsSync(file)).toBe(false);
    await files.remove(ids[0]);
  });

  it('refuses a name that is not an execution id (no path out of the folder)', async () => {
    await expect(files.write('../../etc/passwd', '{}')).rejects.toThrow('not an execution id');
    expect(() => files.hostPath('a/b')).toThrow('not an execution id');
  });

  it('prunes the files no container mounts once older than the grace period, and stray temporary files', async () => {
    for (const id of ids) await files.write(id, '{}\n');
    writeFileSync(path.join(folder(), `${ids[2]}.json.123.tmp`), '{');
    age(`${ids[0]}.json`, 120);
    age(`${ids[1]}.json`, 120);
    age(`${ids[2]}.json.123.tmp`, 120);
    // ids[0]: mounted, kept; ids[1]: old and unmounted, removed; ids[2]: too recent, kept
    expect(await files.prune(new Set([files.hostPath(ids[0])]), 60_000)).toBe(2);
    expect(readdirSync(folder()).sort()).toEqual([`${ids[0]}.json`, `${ids[2]}.json`]);
    expect(await new ConfigurationFiles({ dir: path.join(dir, 'none'), hostDir: '/h' }).prune(new Set())).toBe(0);
  });
});

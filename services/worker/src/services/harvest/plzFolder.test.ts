import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Header } from 'tar-stream';
import type { EntryContent } from '../archive/entryPath.js';
import { MeasureFilesReader } from '../measures/read.js';
import type { EntrySink } from './plzArchive.js';
import { readPlzFolder, readPlzFolderPart } from './plzFolder.js';

/** A sink that records each entry (name, type, link) and its content when it reads it. */
class Recorded implements EntrySink {
  readonly entries: Array<{ name: string; type: string; linkname?: string; content?: string }> = [];
  constructor(private readonly read = true) {}
  async entry(header: Header, content: EntryContent): Promise<void> {
    const record: (typeof this.entries)[number] = { name: header.name, type: header.type, ...(header.linkname ? { linkname: header.linkname } : {}) };
    if (this.read && header.type === 'file') {
      const chunks: Buffer[] = [];
      for await (const chunk of content) chunks.push(chunk as Buffer);
      record.content = Buffer.concat(chunks).toString('utf8');
    } else content.resume();
    this.entries.push(record);
  }
}

describe("the harvest's read of a job's /plz folder (on the real file system)", () => {
  let dir: string;
  let plz: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plz-folder-'));
    plz = path.join(dir, 'plz');
    for (const name of ['plz', 'plz/output', 'plz/measures', 'plz/summary', 'secret']) mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, 'secret', 'key'), 'host secret');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sinks = (read = true) => ({ output: new Recorded(read), measures: new MeasureFilesReader('measures', 1024, () => undefined), summary: new MeasureFilesReader('summary.json', 1024, () => undefined) });

  it("hands each part its entries named as in Docker's archive, sorted, and reads nothing else (the summary from its folder)", async () => {
    mkdirSync(path.join(plz, 'output', 'sub'));
    writeFileSync(path.join(plz, 'output', 'b.txt'), 'two');
    writeFileSync(path.join(plz, 'output', 'a.txt'), 'one');
    writeFileSync(path.join(plz, 'output', 'sub', 'c.txt'), 'three');
    writeFileSync(path.join(plz, 'measures', 'epoch_1'), '{"loss": 0.5}');
    writeFileSync(path.join(plz, 'summary', 'summary.json'), '{"best": 1}');
    writeFileSync(path.join(plz, 'summary', 'notes.txt'), 'beside the summary');
    writeFileSync(path.join(plz, 'notes.txt'), 'beside the folders');
    const parts = sinks();
    expect(await readPlzFolder(plz, parts)).toBe('read');
    expect(parts.output.entries).toEqual([
      { name: 'output/', type: 'directory' },
      { name: 'output/a.txt', type: 'file', content: 'one' },
      { name: 'output/b.txt', type: 'file', content: 'two' },
      { name: 'output/sub/', type: 'directory' },
      { name: 'output/sub/c.txt', type: 'file', content: 'three' },
    ]);
    expect(parts.measures.files.map((file) => [file.path, file.content])).toEqual([['epoch_1', '{"loss": 0.5}']]);
    expect(parts.summary.files.map((file) => [file.path, file.content])).toEqual([['', '{"best": 1}']]);
  });

  it('gives links as links (never followed), FIFOs as FIFOs (never opened), and leaves sockets out', async () => {
    symlinkSync(path.join(dir, 'secret', 'key'), path.join(plz, 'output', 'absolute'));
    symlinkSync('../../secret', path.join(plz, 'output', 'relative'));
    symlinkSync('a.txt', path.join(plz, 'output', 'inside'));
    writeFileSync(path.join(plz, 'output', 'a.txt'), 'one');
    execFileSync('mkfifo', [path.join(plz, 'output', 'pipe')]);
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path.join(plz, 'output', 'socket')]);
    // a measures folder that is a link to the host's folder: an entry, not a walk into it; a summary that is a link
    rmSync(path.join(plz, 'measures'), { recursive: true });
    symlinkSync(path.join(dir, 'secret'), path.join(plz, 'measures'));
    symlinkSync(path.join(dir, 'secret', 'key'), path.join(plz, 'summary', 'summary.json'));
    const parts = sinks();
    expect(await readPlzFolder(plz, parts)).toBe('read');
    expect(parts.output.entries).toEqual([
      { name: 'output/', type: 'directory' },
      { name: 'output/a.txt', type: 'file', content: 'one' },
      { name: 'output/absolute', type: 'symlink', linkname: path.join(dir, 'secret', 'key') },
      { name: 'output/inside', type: 'symlink', linkname: 'a.txt' },
      { name: 'output/pipe', type: 'fifo' },
      { name: 'output/relative', type: 'symlink', linkname: '../../secret' },
    ]);
    expect(JSON.stringify(parts.output.entries)).not.toContain('host secret');
    expect(parts.measures.files).toEqual([]);
    expect(parts.summary.files).toEqual([]);
  });

  it('opens nothing for a skipped entry, and a summary that is a folder is read like measures', async () => {
    writeFileSync(path.join(plz, 'output', 'big.bin'), 'x'.repeat(4096));
    mkdirSync(path.join(plz, 'summary', 'summary.json'));
    writeFileSync(path.join(plz, 'summary', 'summary.json', 'best'), '3');
    const parts = sinks(false);
    expect(await readPlzFolder(plz, parts)).toBe('read');
    expect(parts.output.entries.map((entry) => entry.name)).toEqual(['output/', 'output/big.bin']);
    expect(parts.summary.files.map((file) => [file.path, file.content])).toEqual([['best', '3']]);
  });

  it('reads one part on its own (a part read again after a failure), the summary from its folder', async () => {
    writeFileSync(path.join(plz, 'output', 'a.txt'), 'one');
    writeFileSync(path.join(plz, 'summary', 'summary.json'), '{"best": 2}');
    const parts = sinks();
    await readPlzFolderPart(plz, 'summary', parts.summary);
    expect(parts.summary.files.map((file) => [file.path, file.content])).toEqual([['', '{"best": 2}']]);
    await readPlzFolderPart(plz, 'output', parts.output);
    expect(parts.output.entries.map((entry) => entry.name)).toEqual(['output/', 'output/a.txt']);
    expect(parts.measures.files).toEqual([]);
    rmSync(path.join(plz, 'summary'), { recursive: true });
    const none = sinks();
    await readPlzFolderPart(plz, 'summary', none.summary);
    expect(none.summary.files).toEqual([]);
  });

  it('says absent for a missing folder or a link in its place', async () => {
    expect(await readPlzFolder(path.join(dir, 'none'), sinks())).toBe('absent');
    symlinkSync(plz, path.join(dir, 'linked'));
    expect(await readPlzFolder(path.join(dir, 'linked'), sinks())).toBe('absent');
  });
});

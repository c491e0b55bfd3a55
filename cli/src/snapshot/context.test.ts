import { describe, expect, it } from '@jest/globals';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { hashArchive, openArchive, packArchive } from './archive.js';
import { listContext, neverInSnapshot } from './context.js';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'plz-context-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const rules = { excludedPaths: [] as string[], includedPaths: [] as string[], excludeGitignored: true };

describe('listContext', () => {
  it('never lists a plz.config.json at any depth, the user configuration or the -c file, whatever included_paths says', () => {
    const root = project({
      'plz.config.json': '{"token": "t"}',
      'main.py': 'x',
      'sub/deeper/plz.config.json': '{}',
      'sub/deeper/model.py': 'x',
      'home/.config/plz/plz.config.json': '{"token": "t"}',
      'ci/staging.json': '{"token": "t"}',
      'ci/other.json': '{}',
    });
    linkSync(path.join(root, 'ci/staging.json'), path.join(root, 'ci/hardlink.json'));
    const rules = {
      excludedPaths: [],
      includedPaths: ['plz.config.json', '**/plz.config.json', '*', 'ci/staging.json', 'ci/hardlink.json'],
      excludeGitignored: true,
      // the -c file through a symbolic link to its folder: another spelling of the same file
      ...neverInSnapshot([path.join(root, 'home/.config/plz/plz.config.json'), path.join(root, 'ci-link/staging.json'), '/nonexistent/plz.config.json']),
    };
    symlinkSync(path.join(root, 'ci'), path.join(root, 'ci-link'));
    expect(listContext(root, rules)).toEqual(['ci/', 'ci/other.json', 'ci-link', 'home/', 'home/.config/', 'home/.config/plz/', 'main.py', 'sub/', 'sub/deeper/', 'sub/deeper/model.py']);
  });

  it('leaves out gitignored files at every level and never takes .git', () => {
    const root = project({
      '.gitignore': '*.pyc\nlogs/\n',
      'main.py': 'print(1)',
      'main.pyc': 'x',
      'logs/run.log': 'x',
      'pkg/.gitignore': 'secret.txt\n',
      'pkg/model.py': 'x',
      'pkg/secret.txt': 'x',
      '.git/HEAD': 'ref',
    });
    expect(listContext(root, rules)).toEqual(['.gitignore', 'main.py', 'pkg/', 'pkg/.gitignore', 'pkg/model.py']);
    expect(listContext(root, { ...rules, excludeGitignored: false })).toEqual([
      '.gitignore', 'logs/', 'logs/run.log', 'main.py', 'main.pyc', 'pkg/', 'pkg/.gitignore', 'pkg/model.py', 'pkg/secret.txt',
    ]);
  });

  it('keeps an included file inside an excluded folder, and nothing else of it', () => {
    const root = project({ 'main.py': 'x', 'data/big.bin': 'x', 'data/labels.json': '{}', 'data/sub/other': 'x' });
    expect(listContext(root, { ...rules, excludedPaths: ['data/'], includedPaths: ['data/labels.json'] })).toEqual(['data/', 'data/labels.json', 'main.py']);
    expect(listContext(root, { ...rules, excludedPaths: ['data'] })).toEqual(['main.py']);
  });

  it('lets included paths win over .gitignore too', () => {
    const root = project({ '.gitignore': 'weights/\n', 'weights/init.pt': 'x', 'weights/tmp.pt': 'x', 'train.py': 'x' });
    expect(listContext(root, { ...rules, includedPaths: ['weights/init.pt'] })).toEqual(['.gitignore', 'train.py', 'weights/', 'weights/init.pt']);
  });
});

async function entriesOf(archive: Buffer): Promise<Array<{ name: string; mode: number | undefined; type: string | undefined; body: string }>> {
  const extract = tar.extract();
  const out: Array<{ name: string; mode: number | undefined; type: string | undefined; body: string }> = [];
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: header.name, mode: header.mode, type: header.type, body: Buffer.concat(chunks).toString() });
      next();
    });
  });
  const done = new Promise<void>((resolve) => extract.on('finish', () => resolve()));
  extract.end(archive);
  await done;
  return out;
}

describe('packArchive', () => {
  it('gives the same bytes twice, keeps modes and links, and adds generated files', async () => {
    const root = project({ 'main.py': 'print("hi")\n', 'lib/util.py': 'x = 1\n', 'Dockerfile': 'FROM user-own\n' });
    chmodSync(path.join(root, 'main.py'), 0o755);
    symlinkSync('lib/util.py', path.join(root, 'link.py'));
    const list = listContext(root, rules);
    const extraFiles = { Dockerfile: 'FROM python:3.11-slim-bookworm\n' };
    const first = await packArchive(root, list, { gzip: true, extraFiles });
    const second = await packArchive(root, list, { gzip: true, extraFiles });
    try {
      expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(second.sha256).toBe(first.sha256);
      expect(readFileSync(second.file).equals(readFileSync(first.file))).toBe(true);
      const entries = await entriesOf(gunzipSync(readFileSync(first.file)));
      expect(entries.map((e) => e.name)).toEqual(['Dockerfile', 'lib/', 'lib/util.py', 'link.py', 'main.py']);
      expect(entries.find((e) => e.name === 'main.py')?.mode).toBe(0o755);
      expect(entries.find((e) => e.name === 'link.py')?.type).toBe('symlink');
      expect(entries.find((e) => e.name === 'Dockerfile')?.body).toBe('FROM python:3.11-slim-bookworm\n');
    } finally {
      first.dispose();
      second.dispose();
    }
  });

  it('hashes without writing, and packs again into a stream of the same bytes', async () => {
    const root = project({ 'a.txt': 'alpha\n', 'data/b.bin': 'x'.repeat(300_000) });
    const list = listContext(root, rules);
    const file = await packArchive(root, list, { gzip: false });
    try {
      const hashed = await hashArchive(root, list, { gzip: false });
      expect(hashed).toEqual({ sha256: file.sha256, bytes: file.bytes });
      const chunks: Buffer[] = [];
      for await (const chunk of openArchive(root, list, { gzip: false })) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(readFileSync(file.file))).toBe(true);
    } finally {
      file.dispose();
    }
  });

  it('fails the packed stream when a file cannot be read', async () => {
    const root = project({ 'a.txt': 'alpha\n' });
    const stream = openArchive(root, ['a.txt', 'gone.txt'], { gzip: false });
    await expect((async () => {
      for await (const chunk of stream) void chunk;
    })()).rejects.toThrow(/packing .*gone\.txt|ENOENT/);
  });

  it('changes the hash when a mode changes', async () => {
    const root = project({ 'run.sh': 'echo\n' });
    const a = await packArchive(root, ['run.sh'], { gzip: false });
    chmodSync(path.join(root, 'run.sh'), 0o755);
    const b = await packArchive(root, ['run.sh'], { gzip: false });
    expect(b.sha256).not.toBe(a.sha256);
    a.dispose();
    b.dispose();
  });
});

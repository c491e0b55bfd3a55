import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { x as extract } from 'tar';

const run = promisify(execFile);
const cliRoot = fileURLToPath(new URL('..', import.meta.url));

interface Manifest {
  version: string;
  engines?: { node?: string };
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

describe('the packed plz CLI (cli/scripts/pack.mjs, served at /downloads/plz.tgz)', () => {
  it('declares the Node.js versions it supports, as cli/package.json does, and runs', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'plz-cli-pack-test-'));
    try {
      await run(process.execPath, [path.join(cliRoot, 'scripts/pack.mjs'), work], { timeout: 120_000 });
      await extract({ file: path.join(work, 'plz.tgz'), cwd: work });
      const source = JSON.parse(readFileSync(path.join(cliRoot, 'package.json'), 'utf8')) as Manifest;
      const packed = JSON.parse(readFileSync(path.join(work, 'package/package.json'), 'utf8')) as Manifest;
      expect(source.engines?.node).toMatch(/\S/);
      expect(packed.engines).toEqual(source.engines);
      expect(packed.dependencies).toBeUndefined();
      const { stdout } = await run(process.execPath, [path.join(work, 'package', packed.bin?.['plz'] ?? 'missing'), '--version']);
      expect(stdout.trim()).toBe(source.version);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

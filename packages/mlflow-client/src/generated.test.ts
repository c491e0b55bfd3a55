import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('openapi-typescript/package.json')), 'bin', 'cli.js');

describe('generated types', () => {
  it('match what openapi-typescript makes of openapi/mlflow.yaml now (run `npm run generate -w @plz/mlflow-client`)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'plz-mlflow-types-'));
    try {
      const output = path.join(dir, 'mlflow.ts');
      await promisify(execFile)(process.execPath, [cli, 'openapi/mlflow.yaml', '--output', output], { cwd: packageDir });
      const [fresh, committed] = await Promise.all([readFile(output, 'utf8'), readFile(path.join(packageDir, 'src/generated/mlflow.ts'), 'utf8')]);
      expect(fresh.length).toBeGreaterThan(1000);
      expect(committed).toBe(fresh);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from './paths.js';
import { listFiles } from './render/templates.js';

const run = promisify(execFile);

describe('the generator-plz-deploy package', () => {
  it('ships the compiled generator where yo looks for it, with its modules and every template', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot, timeout: 60_000 });
    const packed = new Set(((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files ?? []).map((file) => file.path));
    const expected = [
      'package.json',
      'dist/generators/app/index.js',
      'dist/answers/schema.js',
      'dist/render/templates.js',
      ...listFiles(path.join(packageRoot, 'templates')).map((file) => `templates/${file}`),
    ];
    expect(expected.filter((file) => !packed.has(file))).toEqual([]);
    expect([...packed].filter((file) => /\.test\.|dist\/testing\/|tsbuildinfo/.test(file))).toEqual([]);
  }, 60_000);
});

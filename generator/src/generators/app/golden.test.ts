import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../paths.js';
import { listFiles, renderBundle, staticFiles } from '../../render/templates.js';
import { deploymentContext } from '../../render/context.js';
import { defaultAnswers, parseAnswers } from '../../answers/schema.js';
import { render, type Rendered } from '../../testing/deployment.js';
import { referenceHost } from '../../answers/derive.js';

/**
 * The repository root IS the default deployment (ARCHITECTURE.md §2): the generator's output with
 * default answers must equal the committed files. `PLZ_UPDATE_GOLDEN=1` copies the output over
 * them instead (then review the diff with git).
 */
const repositoryRoot = path.resolve(packageRoot, '..');
const update = process.env['PLZ_UPDATE_GOLDEN'] === '1';

/** Files of the bundle itself (not the copied image sources); the root's .gitignore is the repository's own. */
const bundlePaths = (): string[] => [
  ...renderBundle(deploymentContext(parseAnswers(defaultAnswers()))).map((file) => file.path),
  ...staticFiles().map((file) => file.path).filter((file) => file !== '.gitignore'),
  '.yo-rc.json',
];

const executable = (file: string): boolean => (statSync(file).mode & 0o111) !== 0;
const ignoredLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));

describe('the repository root', () => {
  let deployment: Rendered;
  beforeAll(async () => {
    // The job limits are derived from the host: render for the reference host, not this machine.
    deployment = await render({ 'host-memory': `${referenceHost.memoryBytes}`, 'host-cpus': `${referenceHost.cpus}` });
  }, 120_000);
  afterAll(() => deployment.remove());

  it('is what the generator writes with default answers', () => {
    const differences: string[] = [];
    for (const file of bundlePaths()) {
      const generated = path.join(deployment.directory, file);
      const committed = path.join(repositoryRoot, file);
      if (update) {
        mkdirSync(path.dirname(committed), { recursive: true });
        copyFileSync(generated, committed);
      }
      if (!existsSync(committed)) differences.push(`${file}: missing from the repository root`);
      else if (readFileSync(committed, 'utf8') !== readFileSync(generated, 'utf8')) differences.push(`${file}: differs from the generator's output`);
      else if (executable(committed) !== executable(generated)) differences.push(`${file}: executable bit differs`);
    }
    expect(differences).toEqual([]);
  });

  it('keeps no generated file the generator no longer writes', () => {
    const written = new Set(bundlePaths());
    const ignored = /^(systemd\/.*\.service|ssl\/.*\.(crt|pem|key))$/;
    const stale = ['config', 'envs', 'scripts', 'systemd', 'ssl']
      .flatMap((folder) => (existsSync(path.join(repositoryRoot, folder)) ? listFiles(path.join(repositoryRoot, folder)).map((file) => `${folder}/${file}`) : []))
      .filter((file) => !written.has(file) && !ignored.test(file));
    expect(stale).toEqual([]);
  });

  it('ignores in git everything a deployment ignores', () => {
    const root = new Set(ignoredLines(readFileSync(path.join(repositoryRoot, '.gitignore'), 'utf8')));
    expect(ignoredLines(deployment.read('.gitignore')).filter((line) => !root.has(line))).toEqual([]);
  });

  it('holds the image sources the deployment copies, unchanged', () => {
    for (const file of ['services/mlflow/Dockerfile', 'package.json', 'package-lock.json', 'tsconfig.base.json', '.dockerignore']) {
      expect([file, deployment.read(file) === readFileSync(path.join(repositoryRoot, file), 'utf8')]).toEqual([file, true]);
    }
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { listFiles, type StaticFile } from './templates.js';

/**
 * What a local image build needs from the plz sources: the same set the repository's
 * .dockerignore lets into a build context (the deployment folder is the context, as the
 * repository root is for the default deployment).
 */
export const sourceFolders = ['services', 'packages', 'cli'] as const;
export const sourceFiles = ['package.json', 'package-lock.json', 'tsconfig.base.json', '.dockerignore'] as const;

/** Parts of the source folders never copied: dependencies, build outputs, tests. */
const excludedFolders = new Set(['node_modules', 'dist', 'coverage']);
const excludedFiles = [/\.test\.ts$/, /\.tsbuildinfo$/];

/**
 * The files copied from a plz checkout into a deployment that builds its images itself:
 * services/, packages/ and cli/ (without node_modules, dist and tests; the REST API's image
 * bundles the CLI package) and the root files of the npm
 * workspace. Paths are relative to both the checkout and the deployment.
 */
export function imageSourceFiles(sourceRoot: string): StaticFile[] {
  const files: StaticFile[] = [];
  for (const folder of sourceFolders) {
    const directory = path.join(sourceRoot, folder);
    if (!existsSync(directory)) continue;
    for (const file of listFiles(directory, (name) => excludedFolders.has(name))) {
      if (!excludedFiles.some((pattern) => pattern.test(file))) files.push({ source: path.join(directory, file), path: `${folder}/${file}` });
    }
  }
  for (const file of sourceFiles) {
    if (existsSync(path.join(sourceRoot, file))) files.push({ source: path.join(sourceRoot, file), path: file });
  }
  return files;
}

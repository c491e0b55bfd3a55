import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The generator package's root folder (holding package.json and templates/), found from this
 * module's location: `src/` under ts-jest, `dist/` once compiled, both one level down.
 */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** nunjucks templates of the bundle (`templates/bundle`, `.njk` stripped on output). */
export const bundleTemplatesDirectory = path.join(packageRoot, 'templates', 'bundle');

/** nunjucks templates of a worker host's folder (`--role worker`) that differ from the controller's. */
export const workerTemplatesDirectory = path.join(packageRoot, 'templates', 'worker');

/** Files copied verbatim into a worker host's folder that differ from the controller's (`templates/worker-static`). */
export const workerStaticTemplatesDirectory = path.join(packageRoot, 'templates', 'worker-static');

/** Files copied verbatim into the bundle (`templates/static`; `gitignore` becomes `.gitignore`). */
export const staticTemplatesDirectory = path.join(packageRoot, 'templates', 'static');

/** The generator's version (package.json), written into the files it renders. */
export const generatorVersion: string = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The plz source checkout the generator runs from (the repository holding generator/), or
 * undefined when the generator was installed without it. Deployments that build their images
 * locally copy the image sources from there.
 */
export function plzSourceRoot(): string | undefined {
  const candidate = path.resolve(packageRoot, '..');
  return existsSync(path.join(candidate, 'services', 'mlflow', 'Dockerfile')) ? candidate : undefined;
}

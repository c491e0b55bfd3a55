import { readdirSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { bundleTemplatesDirectory, staticTemplatesDirectory, workerStaticTemplatesDirectory, workerTemplatesDirectory } from '../paths.js';
import type { DeploymentContext } from './context.js';

/** A file of the bundle: its path relative to the deployment folder and its content. */
export interface RenderedFile {
  path: string;
  contents: string;
}

/** A file copied verbatim: absolute source, destination relative to the deployment folder. */
export interface StaticFile {
  source: string;
  path: string;
}

/** Quotes a value for a POSIX shell (single quotes; `'` written as `'\''`). */
export function shellQuote(value: unknown): string {
  return `'${String(value).replaceAll("'", `'\\''`)}'`;
}

/**
 * The nunjucks environment of the bundle: undefined variables are errors (`throwOnUndefined`),
 * nothing is HTML-escaped, block tags leave no blank lines. Filters: `dump` (JSON, nunjucks' own,
 * for values in YAML and JSON) and `shell` (single-quoted for env files sourced by bash).
 */
export function templateEnvironment(directory: string | string[] = bundleTemplatesDirectory): nunjucks.Environment {
  const environment = new nunjucks.Environment(new nunjucks.FileSystemLoader(directory, { noCache: true }), {
    throwOnUndefined: true,
    autoescape: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  environment.addFilter('shell', shellQuote);
  return environment;
}

/**
 * Files under `directory`, as `/`-separated paths relative to it, sorted; folders whose name
 * `skipFolder` accepts are not entered.
 */
export function listFiles(directory: string, skipFolder: (name: string) => boolean = () => false): string[] {
  const files: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(directory, relative), { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skipFolder(entry.name)) walk(child);
      } else if (entry.isFile()) {
        files.push(child);
      }
    }
  };
  walk('');
  return files.sort();
}

/** Templates of the worker-hosts files (`worker-hosts` in the file name), written only with `--worker-hosts`. */
export function isWorkerHostsTemplate(file: string): boolean {
  return path.posix.basename(file).includes('worker-hosts');
}

/**
 * Renders every template of `templates/bundle` (`X.njk` gives `X`) with the context; the
 * worker-hosts ones only for a deployment with worker hosts (isWorkerHostsTemplate).
 *
 * @throws Error from nunjucks naming the template and the undefined variable or syntax error.
 */
export function renderBundle(context: DeploymentContext): RenderedFile[] {
  if (context.role === 'worker') return renderWorkerHost(context);
  const environment = templateEnvironment();
  return listFiles(bundleTemplatesDirectory)
    .filter((file) => file.endsWith('.njk'))
    .filter((file) => context.workerHosts !== false || !isWorkerHostsTemplate(file))
    .map((file) => ({ path: file.slice(0, -'.njk'.length), contents: environment.render(file, context) }));
}

/** Templates of `templates/bundle` a worker host's folder shares with the controller's. */
export const sharedWorkerHostTemplates = ['envs/queue.env.njk', 'systemd/deployment.service.template.njk'] as const;

/**
 * Renders a worker host's folder (`--role worker`): every template of `templates/worker` and the
 * shared ones of `templates/bundle` (sharedWorkerHostTemplates), with the context.
 */
function renderWorkerHost(context: DeploymentContext): RenderedFile[] {
  const environment = templateEnvironment([workerTemplatesDirectory, bundleTemplatesDirectory]);
  const own = listFiles(workerTemplatesDirectory).filter((file) => file.endsWith('.njk'));
  return [...new Set([...own, ...sharedWorkerHostTemplates])].sort().map((file) => ({ path: file.slice(0, -'.njk'.length), contents: environment.render(file, context) }));
}

/** Files of `templates/static` a worker host's folder shares with the controller's (the rest of its files are in `templates/worker-static`). */
export const sharedWorkerHostStaticFiles = [
  'gitignore',
  'scripts/lib/common.sh',
  'scripts/init/15-check-nvidia.sh',
  'scripts/init/25-detect-docker-socket.sh',
  'scripts/init/90-render-systemd-unit.sh',
  'ssl/ca-certificates/README.md',
] as const;

/**
 * The verbatim files of `templates/static` (a controller), or of `templates/worker-static` with the
 * shared ones of `templates/static` (a worker host, sharedWorkerHostStaticFiles); `gitignore` is
 * stored without its dot (npm drops `.gitignore`).
 */
export function staticFiles(role: 'controller' | 'worker' = 'controller'): StaticFile[] {
  const destination = (file: string): string => (file === 'gitignore' ? '.gitignore' : file);
  if (role === 'worker') {
    return [
      ...sharedWorkerHostStaticFiles.map((file) => ({ source: path.join(staticTemplatesDirectory, file), path: destination(file) })),
      ...listFiles(workerStaticTemplatesDirectory).map((file) => ({ source: path.join(workerStaticTemplatesDirectory, file), path: destination(file) })),
    ];
  }
  return listFiles(staticTemplatesDirectory).map((file) => ({
    source: path.join(staticTemplatesDirectory, file),
    path: file === 'gitignore' ? '.gitignore' : file,
  }));
}

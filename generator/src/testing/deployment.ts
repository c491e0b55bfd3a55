import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { createHelpers } from 'yeoman-test';
import { drainTestAdapterOutput } from './adapter.js';
import { compose } from './docker.js';

const helpers = createHelpers({ importMeta: import.meta });
drainTestAdapterOutput(helpers);

/** A service of a compose file, as far as the tests look at it. */
export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  ports?: Array<{ target: number; host_ip: string; published?: string; protocol: string }>;
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: Array<string | { type: string; source: string; target: string; read_only?: boolean }>;
  networks?: string[];
  group_add?: string[];
  deploy?: { resources: { reservations: { devices: Array<{ driver: string; device_ids: string[]; capabilities: string[] }> } } };
  healthcheck?: { test: string[] };
  secrets?: Array<{ source: string; target: string }>;
  configs?: Array<{ source: string; target: string; mode?: number | string }>;
  depends_on?: Record<string, { condition: string }>;
}

/** The parts of a compose file the tests read. */
export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  networks: Record<string, { name: string; internal?: boolean }>;
  volumes: Record<string, { name: string }>;
  secrets?: Record<string, { environment?: string; file?: string }>;
  configs?: Record<string, { content?: string }>;
}

/** A deployment rendered by the generator into a temporary folder. */
export interface Rendered {
  directory: string;
  read(file: string): string;
  /** docker-compose.yml parsed with YAML merge keys (`<<: *anchor`) resolved. */
  compose(): ComposeFile;
  /** `docker compose config --format json`: the file as compose resolves it (env files merged). */
  resolved(): Promise<ComposeFile>;
  /** Deletes the folder. */
  remove(): void;
}

/**
 * Flags that keep a test's deployment independent of the machine that runs it: no host GPU
 * (`nvidia-smi -L` would otherwise give GPU workers by default) and no host CA certificate to copy.
 */
export const hostIndependent: Readonly<Record<string, string>> = { 'host-gpus': 'none', 'host-ca-certificates': '/nonexistent/plz-test-host-ca-certificates' };

/**
 * Runs the generator unattended (`--skip-prompts`) with these flags into a fresh temporary folder,
 * as on a host without GPUs or extra CA certificates unless the flags say otherwise (hostIndependent).
 *
 * @param options flags by name, as on the command line (`{ gpus: '0,1', 'cpu-workers': '2' }`).
 */
export async function render(options: Record<string, unknown> = {}): Promise<Rendered> {
  const result = await helpers.run('../generators/app/index.js', { autoCleanup: false }).withOptions({ 'skip-prompts': true, ...hostIndependent, ...options } as never);
  result.restore();
  return rendered(result.cwd);
}

/** Views an existing deployment folder. */
export function rendered(directory: string): Rendered {
  const read = (file: string): string => readFileSync(path.join(directory, file), 'utf8');
  return {
    directory,
    read,
    compose: () => parse(read('docker-compose.yml'), { merge: true }) as ComposeFile,
    resolved: async () => JSON.parse((await compose(directory, ['config', '--format', 'json'])).stdout) as ComposeFile,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

export { helpers };

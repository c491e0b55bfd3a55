import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where `tools/provision` installs its builds; override with `PLZ_TOOLS_DIR`. */
export const toolsDir = (): string => process.env['PLZ_TOOLS_DIR'] ?? '/opt/plz-tools';

/**
 * Paths of the native service binaries that `tools/provision` prepared, read from
 * `<toolsDir>/manifest.env` (`KEY=value` lines written by the provisioning step `native-services`).
 *
 * @throws Error naming the missing manifest or key, telling the reader to run `tools/provision`.
 */
export interface ToolPaths {
  /** Folder holding `initdb` and `postgres`. */
  postgresBin: string;
  redisServer: string;
  minio: string;
  mc: string;
  /** The `mlflow` entry point inside its Python virtual environment. */
  mlflow: string;
}

export function toolPaths(): ToolPaths {
  const manifest = path.join(toolsDir(), 'manifest.env');
  if (!existsSync(manifest)) {
    throw new Error(`${manifest} not found: run tools/provision first (it builds and records the test services).`);
  }
  const values = new Map<string, string>();
  for (const line of readFileSync(manifest, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`${manifest} has no ${key}: run tools/provision again.`);
    return value;
  };
  return {
    postgresBin: get('POSTGRES_BIN_DIR'),
    redisServer: get('REDIS_SERVER'),
    minio: get('MINIO'),
    mc: get('MC'),
    mlflow: get('MLFLOW'),
  };
}

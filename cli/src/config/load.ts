import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { ConfigFile, ResolvedConfig, ServerConfig, defaults, pathKeys } from './schema.js';

export { ConfigError };

export const configFileName = 'plz.config.json';

/** One layer: its values and where they came from (a file path or `environment`). */
interface Layer {
  source: string;
  values: ConfigFile;
}

const describe = (issue: z.core.$ZodIssue, raw: unknown): string => {
  const key = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  let value: unknown = raw;
  for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part as PropertyKey];
  return `"${key}": ${issue.message} (got ${JSON.stringify(value)})`;
};

function parseLayer(source: string, raw: unknown): Layer {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: expected a JSON object`);
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`${source}:\n${parsed.error.issues.map((issue) => `  ${describe(issue, raw)}`).join('\n')}`);
  }
  const values = { ...parsed.data };
  // Relative paths and file:// inputs are relative to the file that sets them.
  if (source !== 'environment') {
    const dir = path.dirname(source);
    for (const key of pathKeys) if (values[key]) values[key] = path.resolve(dir, values[key]);
    if (values.input?.startsWith('file://')) values.input = `file://${path.resolve(dir, values.input.slice('file://'.length))}`;
  }
  return { source, values };
}

function readLayer(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseLayer(file, raw);
}

/** `PLZ_<KEY>` variables: strings as they are, other types (booleans, numbers, lists, objects) as JSON. */
function environmentLayer(env: Record<string, string | undefined>): Layer | undefined {
  const raw: Record<string, unknown> = {};
  const shape = ConfigFile.shape as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('PLZ_') || value === undefined) continue;
    const key = name.slice(4).toLowerCase();
    if (!(key in shape)) continue; // other PLZ_ variables belong to other tools
    const stringKeys = ['url', 'token', 'project', 'image', 'input', 'context_path', 'ca_file', 'priority'];
    if (stringKeys.includes(key) || (key === 'command' && !value.trim().startsWith('['))) {
      raw[key] = value;
    } else {
      try {
        raw[key] = JSON.parse(value);
      } catch {
        throw new ConfigError(`environment: ${name} must be JSON for "${key}" (got ${JSON.stringify(value)})`);
      }
    }
  }
  return Object.keys(raw).length ? parseLayer('environment', raw) : undefined;
}

/** `plz.config.json` files in `dir` and its parents, farthest first (the nearest wins). */
function ancestorFiles(dir: string): string[] {
  const files: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const candidate = path.join(current, configFileName);
    if (existsSync(candidate)) files.unshift(candidate);
    if (path.dirname(current) === current) return files;
  }
}

export interface LoadOptions {
  /** Folder the command runs in. */
  cwd: string;
  /** `-c PATH`: replaces the local file (the nearest `plz.config.json`) as the top file layer. */
  configPath?: string;
  env: Record<string, string | undefined>;
  /** Folder of the user layer; default userConfigDir(env). */
  userConfigDir?: string;
}

/**
 * Loads the layered configuration: defaults < the user file (`$XDG_CONFIG_HOME/plz/plz.config.json`,
 * default `~/.config/plz/plz.config.json`, written by `plz login`) < `plz.config.json`
 * files in parent folders < the local file (or `-c PATH`) < `PLZ_*` environment variables.
 * Objects (`resources`) merge key by key; other values replace.
 *
 * @returns the merged configuration and the files read, nearest last.
 * @throws ConfigError naming the file and key for unknown keys, wrong types (with the offending
 *   value), unreadable or invalid JSON, and a missing required key (`project`) after merging.
 */
export function loadConfig(options: LoadOptions): { config: ResolvedConfig; files: string[] } {
  const { merged, files } = mergeLayers(options, `no ${configFileName} found in ${path.resolve(options.cwd)} or its parents`, 'create one with at least {"project": "NAME", "command": ["python", "main.py"]}', 'no_project');
  if (merged['project'] === undefined) {
    throw new ConfigError(
      `"project" is required: set it in ${configFileName} (read: ${files.join(', ') || 'none'}) or PLZ_PROJECT`,
      'run this command in a project folder (one with a plz.config.json holding {"project": "NAME"})',
      'no_project',
    );
  }
  requireUrl(merged, files);
  return { config: validate(ResolvedConfig, merged), files };
}

/**
 * Loads the same layers as loadConfig for a command that needs only the deployment (`url`,
 * `token`, `ca_file`) and no project, so it works outside a project folder: from `PLZ_URL` and
 * `PLZ_TOKEN`, or the user file `~/.config/plz/plz.config.json`.
 *
 * @throws ConfigError as loadConfig, and when no file and no `PLZ_*` variable exists at all.
 */
export function loadServerConfig(options: LoadOptions): { config: ServerConfig; files: string[] } {
  const { merged, files } = mergeLayers(options, `not logged in: no ${userConfigFile(options)} and no PLZ_URL`, notLoggedInHint, 'not_logged_in');
  requireUrl(merged, files);
  return { config: validate(ServerConfig, merged), files };
}

/**
 * The user layer's folder: `$XDG_CONFIG_HOME/plz` when XDG_CONFIG_HOME is set (an absolute path,
 * as the XDG Base Directory specification requires), else `~/.config/plz`.
 */
export function userConfigDir(env: Record<string, string | undefined>): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return xdg && path.isAbsolute(xdg) ? path.join(xdg, 'plz') : path.join(homedir(), '.config', 'plz');
}

/** The user layer's file (`plz login` writes it): `<userConfigDir>/plz.config.json`. */
export function userConfigFile(options: Pick<LoadOptions, 'userConfigDir' | 'env'>): string {
  return path.join(options.userConfigDir ?? userConfigDir(options.env), configFileName);
}

const notLoggedInHint = 'log in once with: plz login URL (or set PLZ_URL and PLZ_TOKEN)';

/** @throws ConfigError (code `not_logged_in`) when the merged layers name no deployment. */
function requireUrl(merged: Record<string, unknown>, files: string[]): void {
  if (merged['url'] === undefined) {
    throw new ConfigError(`no deployment URL: none of ${files.length ? files.join(', ') : 'the configuration files'} nor PLZ_URL sets "url"`, notLoggedInHint, 'not_logged_in');
  }
}

/** Reads and merges every layer (see loadConfig); `nothing` is the message when there is none. */
function mergeLayers(options: LoadOptions, nothing: string, hint?: string, code?: string): { merged: Record<string, unknown>; files: string[] } {
  const userFile = userConfigFile(options);
  const files: string[] = [];
  if (existsSync(userFile)) files.push(userFile);
  let found = ancestorFiles(options.cwd).filter((file) => file !== userFile);
  if (options.configPath) {
    const explicit = path.resolve(options.cwd, options.configPath);
    if (!existsSync(explicit)) throw new ConfigError(`config file ${explicit} (from -c) does not exist`);
    const local = path.join(path.resolve(options.cwd), configFileName);
    found = [...found.filter((file) => file !== local && file !== explicit), explicit];
  }
  files.push(...found);
  if (files.length === 0 && !Object.keys(options.env).some((name) => name.startsWith('PLZ_'))) throw new ConfigError(nothing, hint, code);
  const layers = files.map(readLayer);
  const environment = environmentLayer(options.env);
  if (environment) layers.push(environment);

  const merged: Record<string, unknown> = { ...defaults, context_path: path.resolve(options.cwd, defaults.context_path) };
  for (const { values } of layers) {
    for (const [key, value] of Object.entries(values)) {
      merged[key] = key === 'resources' ? { ...(merged[key] as object), ...(value as object) } : value;
    }
  }
  return { merged, files };
}

function validate<T extends z.ZodType>(schema: T, merged: Record<string, unknown>): z.infer<T> {
  const resolved = schema.safeParse(merged);
  if (!resolved.success) {
    throw new ConfigError(`configuration:\n${resolved.error.issues.map((issue) => `  ${describe(issue, merged)}`).join('\n')}`);
  }
  return resolved.data;
}

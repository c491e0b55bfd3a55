import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A problem with a parameters file, fit to print as is. */
export class ParametersError extends Error {
  override readonly name = 'ParametersError';
}

/**
 * Reads a parameters file (`--parameters FILE`, `--override-parameters FILE`): a JSON object that
 * the job receives as `parameters` in CONFIGURATION_FILE.
 *
 * @param file path, relative to `cwd`.
 * @throws ParametersError when the file is missing or unreadable, is not JSON, or is JSON but not an object.
 */
export function readParametersFile(file: string, cwd = process.cwd()): Record<string, unknown> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ParametersError(code === 'ENOENT' ? `parameters file ${full} does not exist` : `cannot read parameters file ${full}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParametersError(`parameters file ${full} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ParametersError(`parameters file ${full} must hold a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';

/** A problem with a parameters file, fit to print as is (exit status 120, code `parameters`). */
export class ParametersError extends UsageError {
  override readonly name: string = 'ParametersError';
  constructor(message: string, hint = 'a parameters file holds one JSON object, such as {"lr": 0.01}') {
    super(message, hint, 'parameters');
  }
}

/**
 * Reads and parses a JSON file given on the command line (`label` names it in messages).
 *
 * @throws ParametersError when the file is missing or unreadable, or is not JSON.
 */
export function readJsonFile(file: string, label: string, cwd = process.cwd()): unknown {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ParametersError(code === 'ENOENT' ? `${label} ${full} does not exist` : `cannot read ${label} ${full}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ParametersError(`${label} ${full} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads a parameters file (`--parameters FILE`, `--override-parameters FILE`): a JSON object that
 * the job receives as `parameters` in CONFIGURATION_FILE.
 *
 * @param file path, relative to `cwd`.
 * @throws ParametersError when the file is missing or unreadable, is not JSON, or is JSON but not an object.
 */
export function readParametersFile(file: string, cwd = process.cwd()): Record<string, unknown> {
  const value = readJsonFile(file, 'parameters file', cwd);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ParametersError(`parameters file ${path.resolve(cwd, file)} must hold a JSON object, not ${kind}`);
  }
  return value as Record<string, unknown>;
}

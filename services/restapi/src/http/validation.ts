import type { FieldProblem } from '@plz/contracts';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Field-level problems of a failed zod parse, with paths such as `body.resources.gpus`; an
 * unknown field gives one problem per field (`body.foo: unknown field`).
 */
export function fieldProblems(error: z.ZodError, where: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const base = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: `${base}.${key}`, message: 'unknown field' });
    } else {
      problems.push({ path: base, message: issue.message });
    }
  }
  return problems;
}

/** AppError `validation_failed` (400) listing every problem of a failed parse. */
export function validationError(error: z.ZodError, where: 'path' | 'query' | 'body'): AppError {
  const details = fieldProblems(error, where);
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new AppError('validation_failed', first ? `invalid ${where}: ${first.path}: ${first.message}${more}` : `invalid ${where}`, details);
}

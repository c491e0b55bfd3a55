import { ApiError, Sha256, UserName } from '@plz/contracts';
import { z } from 'zod';
import type { ResponseDoc } from '../http/route.js';

/** Path `{id}` of executions, sweeps and tokens: a UUID. */
export const IdParams = z.object({ id: z.uuid() }).strict();
/** Path `{sha256}` of snapshots and inputs. */
export const ShaParams = z.object({ sha256: Sha256 }).strict();
/** Path `{name}` of users. */
export const UserParams = z.object({ name: UserName }).strict();

/** A query flag: `true` or `false` (absent: false). */
export const Flag = z.enum(['true', 'false']).transform((text) => text === 'true');

/** Documented error answers, by status. */
export function errors(...statuses: number[]): Record<number, ResponseDoc> {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (malformed JSON, wrong types, unknown fields), with field details',
    401: 'Missing, unknown or revoked token',
    403: 'Not allowed for this user',
    404: 'Not found',
    409: 'Conflicts with the current state',
    413: 'Body too large',
    415: 'Body is not JSON',
    422: 'Refers to something missing or inconsistent',
    503: 'A dependency is unreachable',
  };
  return Object.fromEntries(statuses.map((status) => [status, { description: descriptions[status] ?? 'Error', schema: ApiError }]));
}

/** A relative path inside the output folder: no `..`, no leading `/`, no empty parts. */
export const OutputPath = z
  .string()
  .max(1024)
  .transform((text) => text.replace(/\/+$/, ''))
  .refine((text) => text.length > 0 && !text.startsWith('/') && text.split('/').every((part) => part !== '' && part !== '.' && part !== '..') && !text.includes('\\'), {
    message: 'expected a relative path inside the output, e.g. models/best.pt',
  });

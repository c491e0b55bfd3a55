import { describe, expect, it } from '@jest/globals';
import { AppError } from '../errors.js';
import { toAppError } from './error-handler.js';

describe('toAppError', () => {
  it('keeps AppErrors and maps body-parser errors to client errors', () => {
    const own = new AppError('conflict', 'taken');
    expect(toAppError(own)).toBe(own);
    expect(toAppError(Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', status: 400 })).code).toBe('invalid_json');
    expect(toAppError(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 })).status).toBe(413);
    expect(toAppError(Object.assign(new URIError('Failed to decode param'), { status: 400 })).status).toBe(400);
  });

  it('reports unreachable dependencies as 503 and anything else as a 500 without details', () => {
    expect(toAppError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).status).toBe(503);
    expect(toAppError(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' })).code).toBe('unavailable');
    const unknown = toAppError(new TypeError('x is undefined'));
    expect([unknown.status, unknown.message]).toEqual([500, 'internal error']);
  });
});

import { describe, expect, it } from '@jest/globals';
import { formatInstant, formatTable } from './output.js';

describe('formatTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(formatTable(['NAME', 'ROLE', 'NOTE'], [['alice', 'admin', ''], ['bo', 'user', 'new']])).toBe(
      ['NAME   ROLE   NOTE', 'alice  admin', 'bo     user   new'].join('\n'),
    );
  });

  it('prints only the header when there are no rows', () => {
    expect(formatTable(['ID', 'NAME'], [])).toBe('ID  NAME');
  });
});

describe('formatInstant', () => {
  it('writes UTC to the minute, a dash for none, and leaves what is not a date as it is', () => {
    expect(formatInstant('2026-11-29T23:30:59.999+01:00')).toBe('2026-11-29 22:30 UTC');
    expect(formatInstant(null)).toBe('-');
    expect(formatInstant(undefined)).toBe('-');
    expect(formatInstant('soon')).toBe('soon');
  });
});

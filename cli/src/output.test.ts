import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { formatAgo, formatHoursMinutes, formatInstant, formatOrdinal, formatSpan, formatTable, Printer } from './output.js';

describe('Printer.resultObject', () => {
  /** What `resultObject` writes for `entries` (on a terminal when `tty`), and what `result` writes for the whole object. */
  async function both(entries: Array<[string, unknown, string?]>, json: boolean, tty: boolean): Promise<[string, string]> {
    const texts: string[] = [];
    for (const streamed of [true, false]) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      const printer = new Printer(json, tty, out, new PassThrough());
      async function* one(): AsyncGenerator<[string, unknown, string?]> {
        yield* entries;
      }
      if (streamed) await printer.resultObject(one());
      else printer.result(Object.fromEntries(entries.map(([key, value]) => [key, value])));
      texts.push(Buffer.concat(chunks).toString('utf8'));
    }
    return texts as [string, string];
  }

  const entries: Array<[string, unknown]> = [
    ['a1', { metadata: { id: 'a1', name: 'line one\nline two', tags: [] }, parameters: { lr: 0.1, layers: [128, 64] }, measures: { loss: { epoch_1: 0.5 }, summary: {} }, summary: null }],
    ['b2', { metadata: {}, parameters: {}, measures: null, summary: { accuracy: 0.9 } }],
    ['__proto__', { weird: '"quoted" \\ key' }],
  ];

  it('writes on a terminal the same text as the whole object, entry by entry', async () => {
    const [streamed, whole] = await both(entries, false, true);
    expect(streamed).toBe(whole);
    expect(await both([], false, true)).toEqual(['{}\n', '{}\n']);
  });

  it('writes one entry a line when piped or with --json: the same JSON value, each entry\'s own text when given', async () => {
    for (const [json, tty] of [[false, false], [true, true], [true, false]] as const) {
      const [streamed, whole] = await both(entries, json, tty);
      expect(streamed.split('\n')).toHaveLength(entries.length + 3); // `{`, the entries, `}` and the final newline
      expect(streamed).toBe(`{\n${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',\n')}\n}\n`);
      expect(JSON.parse(streamed)).toEqual(JSON.parse(whole));
      expect(Object.keys(JSON.parse(streamed) as object)).toEqual(entries.map(([key]) => key));
    }
    // the text as received (jsonb's spacing), not serialised again
    const [withText] = await both([['a1', { a: 1 }, '{"a": 1}']], false, false);
    expect(withText).toBe('{\n"a1":{"a": 1}\n}\n');
    expect(await both([], true, false)).toEqual(['{}\n', '{}\n']);
  });
});

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

describe('formatAgo', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  it('says how long ago, coarser as it gets older, and the date past 30 days', () => {
    expect(formatAgo('2026-11-29T11:59:48Z', now)).toBe('12 s ago');
    expect(formatAgo('2026-11-29T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-11-29T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2026-11-25T12:00:00Z', now)).toBe('4 d ago');
    expect(formatAgo('2026-09-01T12:00:00Z', now)).toBe('2026-09-01');
    expect(formatAgo('2026-11-29T13:00:00Z', now)).toBe('in the future');
    expect(formatAgo(null, now)).toBe('-');
  });
});

describe('formatSpan', () => {
  it('writes the largest unit, rounded down, and no less than 0 s', () => {
    expect([0, 59.9, 150, 7199, 3 * 86_400, -3].map(formatSpan)).toEqual(['0 s', '59 s', '2 min', '1 h', '3 d', '0 s']);
  });
});

describe('formatHoursMinutes', () => {
  it('writes hours and minutes, rounded to the minute, never days', () => {
    expect([0, 29, 2700, 7200, 7500, 96.5 * 3600].map(formatHoursMinutes)).toEqual(['0 min', '0 min', '45 min', '2 h', '2 h 05 min', '96 h 30 min']);
  });
});

describe('formatOrdinal', () => {
  it('picks st, nd, rd and th, teens included', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 102, 111, 112].map(formatOrdinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '102nd', '111th', '112th']);
  });
});

import { describe, expect, it } from '@jest/globals';
import { HistoryLine, parseHistoryLine } from './api.js';

describe('parseHistoryLine', () => {
  const entry = { metadata: { id: 'a' }, parameters: { lr: 1 }, measures: { loss: 1, summary: 2 }, summary: 2 };
  const samples: unknown[] = [
    { id: 'a', entry },
    { id: 'a', entry: { ...entry, measures: null, summary: null } },
    { id: 'a', entry: { ...entry, extra: [1] }, more: true }, // keys a newer server adds
    null, [], 'text', 1, {}, { id: 1, entry }, { id: 'a' }, { id: 'a', entry: [] }, { id: 'a', entry: null },
    { id: 'a', entry: { ...entry, metadata: [] } }, { id: 'a', entry: { ...entry, metadata: null } }, { id: 'a', entry: { ...entry, parameters: 'x' } },
    { id: 'a', entry: { ...entry, measures: undefined } }, { id: 'a', entry: { ...entry, measures: [] } }, { id: 'a', entry: { ...entry, measures: 0 } },
    { id: 'a', entry: { parameters: {}, measures: null, summary: null } },
    { id: 'a', entry: { metadata: {}, parameters: {}, measures: null } }, // summary absent: refused (zod 4 wants the key)
    { id: 'a', entry: { metadata: {}, parameters: {}, measures: null, summary: undefined } },
  ];

  it('takes exactly what HistoryLine takes, returning the same value, and throws its ZodError otherwise', () => {
    for (const sample of samples) {
      const zod = HistoryLine.safeParse(sample);
      if (zod.success) expect(parseHistoryLine(sample)).toEqual(zod.data);
      else expect(() => parseHistoryLine(sample)).toThrow(zod.error.message);
    }
    expect(samples.filter((sample) => HistoryLine.safeParse(sample).success)).toHaveLength(4);
  });
});

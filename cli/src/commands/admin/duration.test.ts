import { describe, expect, it } from '@jest/globals';
import { instantAfter, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads a number and a unit, in seconds', () => {
    expect(parseDuration('3600s')).toBe(3600);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('12h')).toBe(43_200);
    expect(parseDuration('30d')).toBe(2_592_000);
    expect(parseDuration('2w')).toBe(1_209_600);
    expect(parseDuration(' 1d ')).toBe(86_400);
    expect(parseDuration('3650d')).toBe(315_360_000);
  });

  it.each(['', '30', 'd', '1.5h', '-1d', '1h30m', '30 days', '30D', '1y', 'abc'])('refuses %j with the expected form', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration: write a whole number and a unit, e\.g\. 3600s, 90m, 12h, 30d or 2w/);
  });

  it('refuses zero and more than ten years', () => {
    expect(() => parseDuration('0h')).toThrow(/more than zero/);
    expect(() => parseDuration('3651d')).toThrow(/too long: at most 3650d/);
    expect(() => parseDuration('99999999999999999999w')).toThrow(/too long/);
  });
});

describe('instantAfter', () => {
  it('adds the seconds to now and writes UTC ISO 8601', () => {
    expect(instantAfter(90 * 60, new Date('2026-11-29T23:00:00+01:00'))).toBe('2026-11-29T23:30:00.000Z');
  });
});

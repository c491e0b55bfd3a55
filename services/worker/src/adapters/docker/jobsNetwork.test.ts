import { describe, expect, it } from '@jest/globals';
import { createdOrder } from './jobsNetwork.js';

describe("the jobs network's creation times (Docker's RFC 3339 with trailing zeros dropped)", () => {
  it('sorts in time order whatever the number of fraction digits', () => {
    const times = ['2026-11-30T14:00:05.123Z', '2026-11-30T14:00:05.12Z', '2026-11-30T14:00:05Z', '2026-11-30T14:00:04.999999999Z', '2026-11-30T15:00:05.1+01:00'];
    // as texts, `.12Z` comes after `.123Z` (Z sorts after digits): the bug this order fixes
    expect(times[1]!.localeCompare(times[0]!)).toBeGreaterThan(0);
    const sorted = [...times].sort((a, b) => createdOrder(a).localeCompare(createdOrder(b)));
    expect(sorted).toEqual(['2026-11-30T14:00:04.999999999Z', '2026-11-30T14:00:05Z', '2026-11-30T15:00:05.1+01:00', '2026-11-30T14:00:05.12Z', '2026-11-30T14:00:05.123Z']);
  });

  it('puts a missing or unreadable time first', () => {
    expect(createdOrder(undefined)).toBe('');
    expect(createdOrder('yesterday')).toBe('');
    expect(createdOrder('2026-11-30T14:00:05.1234567891Z')).toBe('');
  });
});

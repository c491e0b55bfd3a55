import { describe, expect, it } from '@jest/globals';
import { formatHighPriorityAllowance, parseHighPriorityAllowance } from './allowance.js';

describe('parseHighPriorityAllowance', () => {
  it('reads a whole number from 0 to 1,000,000, or default (null)', () => {
    expect(parseHighPriorityAllowance('0')).toBe(0);
    expect(parseHighPriorityAllowance('2')).toBe(2);
    expect(parseHighPriorityAllowance(' 12 ')).toBe(12);
    expect(parseHighPriorityAllowance('1000000')).toBe(1_000_000);
    expect(parseHighPriorityAllowance('default')).toBeNull();
  });

  it.each(['', '-1', '1.5', '2x', '1e3', 'Default', 'none', 'null', '0x10', '+3'])('refuses %j with the expected form', (text) => {
    expect(() => parseHighPriorityAllowance(text)).toThrow(/is not an allowance: write a whole number of high-priority executions per window \(0 or more\), or default/);
  });

  it('refuses more than the REST API accepts', () => {
    expect(() => parseHighPriorityAllowance('1000001')).toThrow(/too large: at most 1000000/);
    expect(() => parseHighPriorityAllowance('99999999999999999999999')).toThrow(/too large/);
  });
});

describe('formatHighPriorityAllowance', () => {
  it("shows the user's own number, default for the deployment's, unlimited for an admin", () => {
    expect(formatHighPriorityAllowance({ role: 'user', high_priority_allowance: 3 })).toBe('3');
    expect(formatHighPriorityAllowance({ role: 'user', high_priority_allowance: 0 })).toBe('0');
    expect(formatHighPriorityAllowance({ role: 'user', high_priority_allowance: null })).toBe('default');
    expect(formatHighPriorityAllowance({ role: 'user' })).toBe('default');
    expect(formatHighPriorityAllowance({ role: 'admin', high_priority_allowance: 3 })).toBe('unlimited');
  });
});

import { describe, expect, it } from '@jest/globals';
import { isValidKey, joinKey, keyLimits, sanitizeKey } from './keys.js';

describe('isValidKey (MLflow key rules)', () => {
  it('accepts the characters MLflow allows', () => {
    for (const key of ['loss', 'train/loss', 'optimizer.lr', 'a-b_c d', 'température', '.hidden', 'a/.b']) {
      expect([key, isValidKey(key)]).toEqual([key, true]);
    }
  });

  it('refuses other characters, paths that normalise differently and long keys', () => {
    for (const key of ['', 'a:b', 'loss(val)', 'a\\b', '/a', 'a/', 'a//b', './a', 'a/./b', 'a/../b', '..', '..a', 'x'.repeat(251)]) {
      expect([key, isValidKey(key)]).toEqual([key, false]);
    }
    expect(isValidKey('x'.repeat(250))).toBe(true);
  });
});

describe('sanitizeKey', () => {
  it('leaves valid keys unchanged', () => {
    for (const key of ['loss', 'train/loss', 'optimizer.lr', 'a-b_c d', 'température']) expect(sanitizeKey(key)).toBe(key);
  });

  it('replaces characters and repairs paths', () => {
    expect(sanitizeKey('lr:decay')).toBe('lr_decay');
    expect(sanitizeKey('loss(val)')).toBe('loss_val_');
    expect(sanitizeKey('/a//b/./c/')).toBe('a/b/c');
    expect(sanitizeKey('a/../b')).toBe('a/__/b');
    expect(sanitizeKey('..secret')).toBe('__secret');
    expect(sanitizeKey('')).toBe('_');
    expect(sanitizeKey('///')).toBe('_');
  });

  it('shortens long keys keeping them distinct, within 250 characters', () => {
    const a = sanitizeKey(`${'k'.repeat(300)}a`);
    const b = sanitizeKey(`${'k'.repeat(300)}b`);
    expect(a).toHaveLength(keyLimits.keyLength);
    expect(b).toHaveLength(keyLimits.keyLength);
    expect(a).not.toBe(b);
    expect(isValidKey(a)).toBe(true);
    const astral = sanitizeKey('é'.repeat(240) + '𝒜'.repeat(20));
    expect(astral.length).toBeLessThanOrEqual(keyLimits.keyLength);
    expect(astral).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('gives valid keys for arbitrary input', () => {
    const samples = ['a:b/c', '....', '../..', ' / ', 'x/./../y', '\u0000\n\t', 'a'.repeat(1000), '/'.repeat(300)];
    for (const key of samples) expect([key, isValidKey(sanitizeKey(key))]).toEqual([key, true]);
  });
});

describe('joinKey', () => {
  it('joins nested keys with dots', () => {
    expect(joinKey('optimizer', 'lr')).toBe('optimizer.lr');
    expect(joinKey('', 'x', 'y:z')).toBe('x.y_z');
  });
});

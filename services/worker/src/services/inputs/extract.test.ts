import { describe, expect, it } from '@jest/globals';
import { inputEntryName, symlinkInside } from './extract.js';

describe('inputEntryName', () => {
  it('makes names relative to the input, dropping ./ prefixes, . components and trailing slashes', () => {
    expect(['data.txt', './data.txt', 'sub/', './sub/./x.bin', '.', './'].map(inputEntryName)).toEqual(['data.txt', 'data.txt', 'sub', 'sub/x.bin', '', '']);
  });

  it('refuses absolute names, .. components and NUL bytes', () => {
    expect(['/etc/passwd', '../x', 'a/../../x', 'a/..', 'x\0y'].map(inputEntryName)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('symlinkInside', () => {
  it('takes relative targets that stay in the input', () => {
    expect(symlinkInside('latest', 'models/model_1.txt')).toBe(true);
    expect(symlinkInside('a/b/link', '../../c')).toBe(true);
    expect(symlinkInside('self', '.')).toBe(true);
  });

  it('refuses absolute targets, targets above the input, empty targets and NUL bytes', () => {
    expect(symlinkInside('etc', '/etc')).toBe(false);
    expect(symlinkInside('up', '..')).toBe(false);
    expect(symlinkInside('a/link', '../../x')).toBe(false);
    expect(symlinkInside('empty', '')).toBe(false);
    expect(symlinkInside('nul', 'a\0b')).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { entryPath, linkTarget } from './entryPath.js';

describe('entryPath', () => {
  it('strips the archived folder and normalises', () => {
    expect(entryPath('output/', 'output')).toEqual({ ok: true, path: '' });
    expect(entryPath('output/models/a.pth', 'output')).toEqual({ ok: true, path: 'models/a.pth' });
    expect(entryPath('./output//x/./y', 'output')).toEqual({ ok: true, path: 'x/y' });
  });

  it('refuses absolute names, .., NUL and names outside the folder', () => {
    expect(entryPath('/etc/passwd', 'output')).toMatchObject({ ok: false, reason: 'is absolute' });
    expect(entryPath('output/../../etc/passwd', 'output')).toMatchObject({ ok: false, reason: 'contains ".."' });
    expect(entryPath('output/a\0b', 'output')).toMatchObject({ ok: false });
    expect(entryPath('measures/x', 'output')).toMatchObject({ ok: false, reason: 'is outside output/' });
  });
});

describe('linkTarget', () => {
  it('resolves symbolic links inside the folder', () => {
    expect(linkTarget('ckpt/latest', 'epoch_3.pth', 'symlink', '/plz/output')).toBe('ckpt/epoch_3.pth');
    expect(linkTarget('latest', '/plz/output/ckpt/a', 'symlink', '/plz/output')).toBe('ckpt/a');
    expect(linkTarget('a/b', '../c', 'symlink', '/plz/output')).toBe('c');
  });

  it('refuses links that leave the folder', () => {
    expect(linkTarget('latest', '../../etc/passwd', 'symlink', '/plz/output')).toBeUndefined();
    expect(linkTarget('latest', '/etc/passwd', 'symlink', '/plz/output')).toBeUndefined();
    expect(linkTarget('latest', '/plz/output', 'symlink', '/plz/output')).toBeUndefined();
    expect(linkTarget('x', 'measures/a', 'link', '/plz/output')).toBeUndefined();
  });

  it('resolves hard links named from the archive root', () => {
    expect(linkTarget('copy', 'output/orig.bin', 'link', '/plz/output')).toBe('orig.bin');
  });
});

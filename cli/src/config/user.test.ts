import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { normaliseUrl, readUserConfig, updateUserConfig } from './user.js';

describe('normaliseUrl', () => {
  it('keeps http(s) URLs without a trailing slash, and refuses anything else', () => {
    expect(normaliseUrl('https://plz.example.org/')).toBe('https://plz.example.org');
    expect(normaliseUrl(' http://127.0.0.1:8080//')).toBe('http://127.0.0.1:8080');
    expect(normaliseUrl('https://example.org/plz/')).toBe('https://example.org/plz');
    expect(() => normaliseUrl('plz.example.org')).toThrow(/is not a URL/);
    expect(() => normaliseUrl('ftp://plz.example.org')).toThrow(/not an http:\/\/ or https:\/\/ URL/);
    expect(() => normaliseUrl('https://plz.example.org/?token=x')).toThrow(/query/);
  });
});

describe('updateUserConfig', () => {
  it('creates the folder 0700 and the file 0600, keeps other keys, and removes the ones asked', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'plz-user-')), 'config', 'plz');
    const file = path.join(dir, 'plz.config.json');
    updateUserConfig(file, { url: 'http://a', token: 't1' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, JSON.stringify({ url: 'http://a', token: 't1', image: 'mine', resources: { gpus: 1 } }), { mode: 0o644 });
    updateUserConfig(file, { token: 't2' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readUserConfig(file)).toEqual({ url: 'http://a', token: 't2', image: 'mine', resources: { gpus: 1 } });
    updateUserConfig(file, {}, ['url', 'token']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ image: 'mine', resources: { gpus: 1 } });
  });

  it('reads a missing file as empty and refuses one that is not an object', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plz-user-'));
    expect(readUserConfig(path.join(dir, 'none.json'))).toEqual({});
    writeFileSync(path.join(dir, 'bad.json'), '[1]');
    expect(() => readUserConfig(path.join(dir, 'bad.json'))).toThrow(/expected a JSON object/);
  });
});

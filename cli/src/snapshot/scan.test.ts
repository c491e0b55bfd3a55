import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, openSync, writeSync, closeSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TokenInUploadError, exitCodes, handleError } from '../errors.js';
import { Printer } from '../output.js';
import { packArchive } from './archive.js';
import { listContext } from './context.js';
import { TokenScanner, scanFiles, tokensDigest, tokensToRefuse } from './scan.js';

const token = 'plz_Zm9vYmFyYmF6cXV4LXRoZS10b2tlbi1pdHNlbGY';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'plz-scan-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const all = { excludedPaths: [] as string[], includedPaths: [] as string[], excludeGitignored: false };

async function refusal(promise: Promise<unknown>): Promise<TokenInUploadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TokenInUploadError) return error;
    throw error;
  }
  throw new Error('expected a TokenInUploadError');
}

describe('TokenScanner', () => {
  it('finds a token split at every position across two chunks, and across many one-byte chunks', () => {
    const text = Buffer.from(`before ${token} after`);
    for (let cut = 0; cut <= text.length; cut += 1) {
      const scanner = new TokenScanner([token]);
      scanner.update(text.subarray(0, cut));
      scanner.update(text.subarray(cut));
      expect(scanner.found).toBe(true);
    }
    const bytewise = new TokenScanner(['short', token]);
    for (const byte of text) bytewise.update(Buffer.from([byte]));
    expect(bytewise.found).toBe(true);
  });

  it('finds nothing in clean text, and nothing across two files after reset', () => {
    const scanner = new TokenScanner([token]);
    scanner.update(Buffer.from(`x${token.slice(0, 10)}`));
    scanner.reset();
    scanner.update(Buffer.from(`${token.slice(10)}y`));
    expect(scanner.found).toBe(false);
    expect(new TokenScanner([]).active).toBe(false);
  });

  it('looks for the token sent and PLZ_TOKEN as set; its digest does not depend on order', () => {
    expect(tokensToRefuse('abc', { PLZ_TOKEN: ' abc\n' })).toEqual(['abc', ' abc\n']);
    expect(tokensToRefuse(undefined, {})).toEqual([]);
    expect(tokensDigest(['a', 'b'])).toBe(tokensDigest(['b', 'a']));
    expect(tokensDigest(['a'])).not.toBe(tokensDigest(['b']));
    expect(tokensDigest([token])).not.toContain(token);
  });
});

describe('the token in what is packed', () => {
  it('refuses a snapshot with the token in a nested file, naming its relative path (never the token)', async () => {
    const root = project({ 'main.py': 'print(1)', 'src/deep/er/notes.txt': `my token: ${token}\n`, 'z.txt': token });
    const error = await refusal(packArchive(root, listContext(root, all), { gzip: true, scan: { tokens: [token], what: 'the snapshot' } }));
    expect(error.file).toBe('src/deep/er/notes.txt');
    expect(error.code).toBe('token_in_upload');
    expect(error.exitCode).toBe(exitCodes.usage);
    expect(error.message).toBe('the snapshot holds your API token (in src/deep/er/notes.txt): nothing was uploaded');
    expect(error.message).not.toContain(token);
    expect(error.hint).toMatch(/remove the token from src\/deep\/er\/notes\.txt.*plz admin tokens revoke ID/);
    const lines: string[] = [];
    const printer = new Printer(true);
    printer.result = (value: unknown) => lines.push(JSON.stringify(value));
    expect(handleError(error, printer)).toBe(120);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'token_in_upload' } });
  });

  it('finds the token across the read stream chunk boundary of a large file, streamed', async () => {
    const root = project({ 'a.txt': 'clean' });
    const big = path.join(root, 'data.bin');
    const fd = openSync(big, 'w');
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 8; i += 1) writeSync(fd, block); // 8 MiB of 'a'
    writeSync(fd, Buffer.from(token), 0, token.length, 3 * 65_536 - 7); // split across 64 KiB reads
    closeSync(fd);
    const error = await refusal(packArchive(root, listContext(root, all), { gzip: false, scan: { tokens: [token], what: 'the input file://data' } }));
    expect(error.file).toBe('data.bin');
    expect(error.message).toContain('the input file://data');
    await expect(scanFiles(root, listContext(root, all), [token], 'the input')).rejects.toThrow(TokenInUploadError);
  });

  it('packs when no file holds the token, and refuses a generated Dockerfile or a link that does', async () => {
    const root = project({ 'main.py': `print("${token.slice(0, -1)}")`, 'sub/x.txt': 'x' });
    const archive = await packArchive(root, listContext(root, all), { gzip: true, extraFiles: { Dockerfile: 'FROM python\n' }, scan: { tokens: [token], what: 'the snapshot' } });
    expect(existsSync(archive.file)).toBe(true);
    archive.dispose();
    await expect(scanFiles(root, listContext(root, all), [token], 'the input')).resolves.toBeUndefined();
    const error = await refusal(packArchive(root, listContext(root, all), { gzip: true, extraFiles: { Dockerfile: `FROM python\nENV T=${token}\n` }, scan: { tokens: [token], what: 'the snapshot' } }));
    expect(error.file).toBe('Dockerfile');
  });
});

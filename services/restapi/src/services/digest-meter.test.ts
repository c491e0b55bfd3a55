import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { DigestMeter } from './digest-meter.js';

describe('DigestMeter', () => {
  it('passes bytes through while hashing and counting them', async () => {
    const meter = new DigestMeter(100);
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), meter, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    expect(Buffer.concat(out).toString()).toBe('hello world');
    expect(meter.bytes).toBe(11);
    expect(meter.digest()).toBe(createHash('sha256').update('hello world').digest('hex'));
  });

  it('fails with payload_too_large as soon as the limit is passed', async () => {
    const meter = new DigestMeter(10);
    await expect(pipeline(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), meter, async (source: AsyncIterable<Buffer>) => {
      for await (const _chunk of source) void _chunk;
    })).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});

import { describe, expect, it } from '@jest/globals';
import { parseInputUri } from './input.js';

describe('parseInputUri', () => {
  it('parses the three forms', () => {
    expect(parseInputUri('file://data/train')).toEqual({ kind: 'file', path: 'data/train' });
    expect(parseInputUri(`input_id://${'ab'.repeat(32)}`)).toEqual({ kind: 'input_id', sha256: 'ab'.repeat(32) });
    expect(parseInputUri('execution://3F2504E0-4F89-11D3-9A0C-0305E82C3301')).toEqual({
      kind: 'execution',
      executionId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    });
  });

  it('explains what is wrong', () => {
    expect(() => parseInputUri('data')).toThrow('is not a URI');
    expect(() => parseInputUri('s3://bucket')).toThrow('"s3://" is not supported');
    expect(() => parseInputUri('input_id://abc')).toThrow('64 hex digits');
    expect(() => parseInputUri('file://')).toThrow('needs a path');
  });
});

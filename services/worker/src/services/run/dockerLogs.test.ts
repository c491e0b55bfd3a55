import { describe, expect, it } from '@jest/globals';
import { LineSplitter, splitTimestamp } from './dockerLogs.js';

describe('docker log messages', () => {
  it('splits the timestamp from the text', () => {
    expect(splitTimestamp('2024-05-01T12:00:00.123456789Z hello world\n')).toEqual({ timeMs: Date.parse('2024-05-01T12:00:00.123Z'), text: 'hello world\n' });
    expect(splitTimestamp('2024-05-01T12:00:00Z x')).toEqual({ timeMs: Date.parse('2024-05-01T12:00:00Z'), text: 'x' });
    expect(splitTimestamp('no time here')).toEqual({ timeMs: undefined, text: 'no time here' });
  });

  it('splits lines, keeps the unfinished end and cuts runaway lines', () => {
    const splitter = new LineSplitter(4);
    expect(splitter.push('ab\ncd')).toEqual(['ab']);
    expect(splitter.push('e\r\n10%\r20%\r')).toEqual(['cde', '10%', '20%']);
    expect(splitter.push('abcdefghij')).toEqual(['abcd', 'efgh']);
    expect(splitter.end()).toEqual(['ij']);
    expect(splitter.end()).toEqual([]);
  });
});

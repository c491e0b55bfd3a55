import { describe, expect, it } from '@jest/globals';
import { LineSkipper } from './log-stream.js';

describe('LineSkipper', () => {
  it('hands on whole lines across chunks and the last partial line at the end', () => {
    const lines: string[] = [];
    const reader = new LineSkipper(0, (line) => lines.push(line));
    reader.push('one\ntw');
    reader.push('o\nthree');
    expect(lines).toEqual(['one\n', 'two\n']);
    reader.end();
    expect(lines).toEqual(['one\n', 'two\n', 'three']);
    expect(reader.printed).toBe(3);
  });

  it('leaves out the lines an earlier read printed, and keeps a partial line for the next read', () => {
    const lines: string[] = [];
    const first = new LineSkipper(0, (line) => lines.push(line));
    first.push('a\nb\nc');
    expect(first.printed).toBe(2);
    const second = new LineSkipper(first.printed, (line) => lines.push(line));
    second.push('a\nb\nc\nd\n');
    expect(lines).toEqual(['a\n', 'b\n', 'c\n', 'd\n']);
    expect(second.printed).toBe(4);
    const third = new LineSkipper(second.printed, (line) => lines.push(line));
    third.push('a\nb\n');
    expect(third.printed).toBe(4);
    expect(lines).toHaveLength(4);
  });
});

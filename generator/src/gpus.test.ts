import { describe, expect, it } from '@jest/globals';
import { parseGpuGroups } from './gpus.js';

describe('parseGpuGroups', () => {
  it('reads one-GPU and multi-GPU workers', () => {
    expect(parseGpuGroups('0,1,2,3')).toEqual([['0'], ['1'], ['2'], ['3']]);
    expect(parseGpuGroups('0+1, 2+3')).toEqual([['0', '1'], ['2', '3']]);
    expect(parseGpuGroups('none')).toEqual([]);
  });

  it('refuses duplicates and junk with a message', () => {
    expect(() => parseGpuGroups('0,0')).toThrow('GPU 0 is given twice');
    expect(() => parseGpuGroups('0+,1')).toThrow('"(empty)" is not a GPU index');
    expect(() => parseGpuGroups('all')).toThrow('"all" is not a GPU index');
  });
});

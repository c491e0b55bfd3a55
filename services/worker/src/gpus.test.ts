import { describe, expect, it } from '@jest/globals';
import { gpuAssignment } from './gpus.js';

describe('gpuAssignment', () => {
  it('maps a worker without GPUs to the cpu queue', () => {
    for (const value of [undefined, '', 'void', 'none']) expect(gpuAssignment(value)).toEqual({ deviceIds: [], queue: 'cpu' });
  });

  it('maps device ids to the queue of their count', () => {
    expect(gpuAssignment('3')).toEqual({ deviceIds: ['3'], queue: 'gpu' });
    expect(gpuAssignment('0, 1')).toEqual({ deviceIds: ['0', '1'], queue: 'gpu-x2' });
    expect(gpuAssignment('GPU-6f1b3a2c-1d2e-4f5a-9b8c-7d6e5f4a3b2c').queue).toBe('gpu');
  });

  it('refuses all, duplicates and junk', () => {
    expect(() => gpuAssignment('all')).toThrow('give each worker its device ids');
    expect(() => gpuAssignment('0,0')).toThrow('duplicate');
    expect(() => gpuAssignment('0;1')).toThrow('not a GPU index');
  });
});

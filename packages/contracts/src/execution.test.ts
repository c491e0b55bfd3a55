import { describe, expect, it } from '@jest/globals';
import { gpusOfQueue, isTerminal, parseByteSize, queueForGpus, Resources } from './execution.js';

describe('resources', () => {
  it('parses Docker-style sizes into bytes', () => {
    expect(parseByteSize('512m')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('8G')).toBe(8 * 1024 ** 3);
    expect(parseByteSize('1024')).toBe(1024);
    expect(() => parseByteSize('eight gigs')).toThrow('not a size');
  });

  it('validates a resource request and rejects unknown keys', () => {
    expect(Resources.parse({ gpus: 1, memory: '2g' })).toEqual({ gpus: 1, memory: 2 * 1024 ** 3 });
    expect(Resources.safeParse({ gpu: 1 }).success).toBe(false);
    expect(Resources.safeParse({ gpus: -1 }).success).toBe(false);
  });

  it('maps GPU counts to queues', () => {
    expect([0, 1, 2, 4].map(queueForGpus)).toEqual(['cpu', 'gpu', 'gpu-x2', 'gpu-x4']);
    expect(() => queueForGpus(1.5)).toThrow('whole number');
    expect([0, 1, 2, 4].map((gpus) => gpusOfQueue(queueForGpus(gpus)))).toEqual([0, 1, 2, 4]);
    expect(gpusOfQueue('gpu-xy')).toBe(0);
  });

  it('knows the terminal states', () => {
    expect(isTerminal('failed')).toBe(true);
    expect(isTerminal('running')).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { maxSweepSize, SweepParameters, SweepSpec, sweepParameterSets } from './sweep.js';

describe('sweep parameters', () => {
  it('keeps a list as it is', () => {
    expect(sweepParameterSets([{ a: 1 }, { a: 2 }])).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('expands a grid into its cartesian product, last key fastest', () => {
    expect(sweepParameterSets({ lr: [0.1, 0.01], layers: [2, 3, 4] })).toEqual([
      { lr: 0.1, layers: 2 },
      { lr: 0.1, layers: 3 },
      { lr: 0.1, layers: 4 },
      { lr: 0.01, layers: 2 },
      { lr: 0.01, layers: 3 },
      { lr: 0.01, layers: 4 },
    ]);
  });

  it('refuses empty lists and grids, non-array grid values and grids past the limit', () => {
    expect(SweepParameters.safeParse([]).success).toBe(false);
    expect(SweepParameters.safeParse({}).success).toBe(false);
    expect(SweepParameters.safeParse({ lr: [] }).success).toBe(false);
    expect(SweepParameters.safeParse({ lr: 0.1 }).success).toBe(false);
    expect(SweepParameters.safeParse([1]).success).toBe(false);
    const grid = { a: Array.from({ length: 40 }, (_, i) => i), b: Array.from({ length: 30 }, (_, i) => i) };
    expect(() => sweepParameterSets(grid)).toThrow(`1200 combinations; a sweep is limited to ${maxSweepSize}`);
  });

  it('takes an execution spec with parameters as a list or grid, and no unknown fields', () => {
    const base = { project: 'p', snapshot: 'a'.repeat(64) };
    expect(SweepSpec.parse({ ...base, parameters: { x: [1] } })).toMatchObject({ project: 'p', parameters: { x: [1] }, queue_without_worker: false });
    expect(SweepSpec.safeParse({ ...base, parameters: [{}], sweep: true }).success).toBe(false);
  });
});

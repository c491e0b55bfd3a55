import { describe, expect, it } from '@jest/globals';
import { flattenMeasures, flattenParams, limitParamValue, truncationMarker } from './flatten.js';
import { isValidKey, keyLimits } from './keys.js';

describe('flattenParams', () => {
  it('joins nested keys with dots and turns values into text', () => {
    const params = flattenParams({
      lr: 0.001,
      epochs: 10,
      optimizer: { name: 'adam', betas: [0.9, 0.999], extra: {} },
      debug: false,
      note: null,
      skipped: undefined,
    });
    expect(params).toEqual([
      { key: 'lr', value: '0.001' },
      { key: 'epochs', value: '10' },
      { key: 'optimizer.name', value: 'adam' },
      { key: 'optimizer.betas', value: '[0.9,0.999]' },
      { key: 'optimizer.extra', value: '{}' },
      { key: 'debug', value: 'false' },
      { key: 'note', value: 'null' },
    ]);
  });

  it('sanitises keys and keeps colliding ones apart', () => {
    const params = flattenParams({ 'a:b': 1, a_b: 2, 'a?b': 3 });
    expect(params.map((p) => p.key)).toEqual(['a_b', 'a_b_2', 'a_b_3']);
    expect(params.every((p) => isValidKey(p.key))).toBe(true);
  });

  it('truncates values over 6000 characters with a marker', () => {
    const [param] = flattenParams({ long: 'x'.repeat(10_000) });
    expect(param!.value).toHaveLength(keyLimits.paramValueLength);
    expect(param!.value.endsWith(truncationMarker(10_000))).toBe(true);
    expect(limitParamValue('short')).toBe('short');
    expect(limitParamValue('y'.repeat(6000))).toBe('y'.repeat(6000));
  });

  it('gives nothing for no parameters and refuses non-objects', () => {
    expect(flattenParams(undefined)).toEqual([]);
    expect(flattenParams({})).toEqual([]);
    expect(() => flattenParams([1, 2])).toThrow('an array');
    expect(() => flattenParams(3)).toThrow('number');
  });
});

describe('flattenMeasures', () => {
  it('makes a point of every numeric leaf', () => {
    const metrics = flattenMeasures({ loss: 0.5, eval: { accuracy: 0.9, note: 'ok', per_class: [1, 2] }, done: true }, { prefix: 'train', timestamp: 1000, step: 3 });
    expect(metrics).toEqual([
      { key: 'train.loss', value: 0.5, timestamp: 1000, step: 3 },
      { key: 'train.eval.accuracy', value: 0.9, timestamp: 1000, step: 3 },
    ]);
  });

  it('keys a bare number by its prefix', () => {
    expect(flattenMeasures(0.25, { prefix: 'val/loss', timestamp: 5 })).toEqual([{ key: 'val/loss', value: 0.25, timestamp: 5, step: 0 }]);
    expect(flattenMeasures(1, { timestamp: 5 })).toEqual([{ key: 'value', value: 1, timestamp: 5, step: 0 }]);
    expect(flattenMeasures('text', { timestamp: 5 })).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { logBatchLimits, splitLogBatch, type Metric } from './limits.js';

const metrics = (n: number): Metric[] => Array.from({ length: n }, (_, i) => ({ key: 'loss', value: i, timestamp: 0, step: i }));

describe('splitLogBatch', () => {
  it('keeps each request within the metric count limit', () => {
    const batches = splitLogBatch({ metrics: metrics(2500), params: [], tags: [] });
    expect(batches.map((b) => b.metrics.length)).toEqual([1000, 1000, 500]);
    expect(batches.flatMap((b) => b.metrics).map((m) => m.step)).toEqual(metrics(2500).map((m) => m.step));
  });

  it('keeps params within 100 a request and the total within 1000 entities', () => {
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'x' }));
    const batches = splitLogBatch({ metrics: metrics(950), params, tags: [] });
    for (const b of batches) {
      expect(b.params.length).toBeLessThanOrEqual(logBatchLimits.params);
      expect(b.params.length + b.metrics.length + b.tags.length).toBeLessThanOrEqual(logBatchLimits.entities);
    }
    expect(batches.flatMap((b) => b.params)).toHaveLength(250);
  });

  it('splits by request size and refuses an entity larger than a request', () => {
    const params = Array.from({ length: 90 }, (_, i) => ({ key: `p${i}`, value: 'v'.repeat(6000) }));
    for (const b of splitLogBatch({ metrics: [], params, tags: [] })) {
      expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThan(logBatchLimits.requestBytes);
    }
    expect(() => splitLogBatch({ metrics: [], params: [{ key: 'huge', value: 'v'.repeat(2_000_000) }], tags: [] })).toThrow('huge');
  });

  it('returns no request for an empty batch', () => {
    expect(splitLogBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
  });
});

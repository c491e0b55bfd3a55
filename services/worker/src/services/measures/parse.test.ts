import { describe, expect, it } from '@jest/globals';
import { measureMetrics, measuresObject, parseMeasureContent, stepOf, summaryMetrics } from './parse.js';

const file = (path: string, content: string, mtimeMs = 1_700_000_000_000) => ({ path, content, mtimeMs });

describe('measures', () => {
  it('parses JSON and keeps other text', () => {
    expect(parseMeasureContent(' {"a": 1}\n')).toEqual({ a: 1 });
    expect(parseMeasureContent('0.25\n')).toBe(0.25);
    expect(parseMeasureContent('not json')).toBe('not json');
  });

  it('nests files by path', () => {
    expect(measuresObject([file('epoch_2', '{"loss": 0.5}'), file('train/epoch_1', '{"loss": 1}'), file('accuracy', '0.9')])).toEqual({
      accuracy: 0.9,
      epoch_2: { loss: 0.5 },
      train: { epoch_1: { loss: 1 } },
    });
  });

  it('reads the step from a trailing number', () => {
    expect(stepOf('epoch_7')).toEqual({ name: 'epoch', step: 7 });
    expect(stepOf('epoch-12.json')).toEqual({ name: 'epoch', step: 12 });
    expect(stepOf('step3')).toEqual({ name: 'step', step: 3 });
    expect(stepOf('42')).toEqual({ name: '', step: 42 });
    expect(stepOf('accuracy')).toEqual({ name: 'accuracy', step: undefined });
  });

  it('makes numeric leaves of per-epoch files metrics at that step', () => {
    expect(measureMetrics(file('epoch_7', '{"training_loss": 0.1, "accuracy": 97.5, "note": "x", "ok": true}'))).toEqual([
      { key: 'training_loss', value: 0.1, step: 7, timestamp: 1_700_000_000_000 },
      { key: 'accuracy', value: 97.5, step: 7, timestamp: 1_700_000_000_000 },
    ]);
    expect(measureMetrics(file('eval/epoch_2', '{"top": {"k1": 0.5}}'))).toEqual([{ key: 'eval.top.k1', value: 0.5, step: 2, timestamp: 1_700_000_000_000 }]);
  });

  it('names bare numbers after the file without its step', () => {
    expect(measureMetrics(file('loss_3', '0.25'))).toEqual([{ key: 'loss', value: 0.25, step: 3, timestamp: 1_700_000_000_000 }]);
    expect(measureMetrics(file('accuracy', '0.9'))).toEqual([{ key: 'accuracy', value: 0.9, step: 0, timestamp: 1_700_000_000_000 }]);
    expect(measureMetrics(file('final', '{"acc": 1}'))[0]!.key).toBe('final.acc');
    expect(measureMetrics(file('notes', 'hello'))).toEqual([]);
  });

  it('keeps keys within MLflow\'s rules', () => {
    expect(measureMetrics(file('epoch_1', '{"top-1 (val)": 1}'))[0]!.key).toBe('top-1 _val_');
    expect(measureMetrics(file('epoch_1', `{"${'x'.repeat(300)}": 1}`))[0]!.key.length).toBeLessThanOrEqual(250);
  });

  it('prefixes summary leaves with summary.', () => {
    expect(summaryMetrics({ max_accuracy: 98.1, best: { epoch: 25 }, name: 'x' }, 5)).toEqual([
      { key: 'summary.max_accuracy', value: 98.1, timestamp: 5, step: 0 },
      { key: 'summary.best.epoch', value: 25, timestamp: 5, step: 0 },
    ]);
    expect(summaryMetrics(3, 5)).toEqual([{ key: 'summary', value: 3, timestamp: 5, step: 0 }]);
  });
});

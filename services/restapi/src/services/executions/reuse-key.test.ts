import { describe, expect, it } from '@jest/globals';
import { canonicalJson, reuseKey, type ReuseKeyParts } from './reuse-key.js';

describe('canonicalJson', () => {
  it('sorts object keys at every depth, keeps array order, writes no white space', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x', c: { y: true, x: false } })).toBe('{"a":"x","b":[3,{"a":null,"z":1}],"c":{"x":false,"y":true}}');
  });

  it('writes numbers and strings as JSON.stringify does (RFC 8785 for JSON values)', () => {
    expect(canonicalJson([1.0, 1e21, 0.1, -0, 'é\n"'])).toBe('[1,1e+21,0.1,0,"é\\n\\""]');
  });

  it('leaves out undefined object values, refuses what JSON cannot write', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('not a JSON number');
    expect(() => canonicalJson({ a: () => 1 })).toThrow('not a JSON value');
  });
});

describe('reuseKey', () => {
  const parts: ReuseKeyParts = {
    snapshot: 'a'.repeat(64),
    input: { kind: 'input', sha256: 'b'.repeat(64) },
    parameters: { lr: 0.1, layers: [1, 2] },
    resources: { gpus: 0, memory: 1024 },
    queue: 'cpu',
    maxRunSeconds: null,
  };

  it('is a sha256 that does not depend on key order', () => {
    expect(reuseKey(parts)).toMatch(/^[0-9a-f]{64}$/);
    expect(reuseKey({ ...parts, parameters: { layers: [1, 2], lr: 0.1 }, resources: { memory: 1024, gpus: 0 } })).toBe(reuseKey(parts));
  });

  it('changes with every part', () => {
    const changed: ReuseKeyParts[] = [
      { ...parts, snapshot: 'c'.repeat(64) },
      { ...parts, input: null },
      { ...parts, input: { kind: 'input', sha256: 'd'.repeat(64) } },
      { ...parts, parameters: { lr: 0.1, layers: [2, 1] } },
      { ...parts, parameters: {} },
      { ...parts, resources: { gpus: 0, memory: 2048 } },
      { ...parts, queue: 'gpu' },
      { ...parts, maxRunSeconds: 60 },
    ];
    const keys = new Set([reuseKey(parts), ...changed.map(reuseKey)]);
    expect(keys.size).toBe(changed.length + 1);
  });

  it("keys an earlier execution's output by its MLflow run, not by the execution named", () => {
    const output = (executionId: string) => ({ kind: 'execution_output' as const, execution_id: executionId, mlflow_experiment_id: '1', mlflow_run_id: 'r1' });
    expect(reuseKey({ ...parts, input: output('00000000-0000-4000-8000-000000000001') })).toBe(reuseKey({ ...parts, input: output('00000000-0000-4000-8000-000000000002') }));
  });
});

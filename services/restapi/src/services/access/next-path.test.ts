import { describe, expect, it } from '@jest/globals';
import { safeNextPath } from './next-path.js';

describe('safeNextPath', () => {
  it('keeps paths on the deployment', () => {
    expect(safeNextPath('/mlflow/#/experiments/1/runs/abc')).toBe('/mlflow/#/experiments/1/runs/abc');
    expect(safeNextPath('/mlflow/ajax-api/2.0/mlflow/runs/get?run_id=1')).toBe('/mlflow/ajax-api/2.0/mlflow/runs/get?run_id=1');
  });

  it('turns anything that could leave the deployment into /', () => {
    for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example', '/\\/evil', 'javascript:alert(1)', '', '/a\nb', '/a\\b', `/${'a'.repeat(3000)}`, undefined, 42, ['/x']]) {
      expect(safeNextPath(next)).toBe('/');
    }
  });
});

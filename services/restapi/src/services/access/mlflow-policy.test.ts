import { describe, expect, it } from '@jest/globals';
import { mlflowPermission, mlflowRoutePath } from './mlflow-policy.js';

describe('mlflowPermission', () => {
  it('lets every user read: any GET, and the POST searches of the UI and clients', () => {
    expect(mlflowPermission('GET', '/mlflow/')).toBe('read');
    expect(mlflowPermission('GET', '/mlflow/api/2.0/mlflow/metrics/get-history?run_id=a&metric_key=acc')).toBe('read');
    expect(mlflowPermission('HEAD', '/mlflow/static-files/static/js/main.js')).toBe('read');
    expect(mlflowPermission('GET', '/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/output/model.pkl')).toBe('read');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/experiments/search')).toBe('read');
    expect(mlflowPermission('POST', '/mlflow/ajax-api/2.0/mlflow/runs/search')).toBe('read');
    expect(mlflowPermission('POST', '/mlflow/ajax-api/2.0/mlflow/logged-models/search')).toBe('read');
    expect(mlflowPermission('POST', '/mlflow/graphql')).toBe('read');
  });

  it('lets every user tag runs and experiments (notes are tags)', () => {
    expect(mlflowPermission('POST', '/mlflow/ajax-api/2.0/mlflow/runs/set-tag')).toBe('annotate');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/runs/delete-tag')).toBe('annotate');
    expect(mlflowPermission('post', '/mlflow/ajax-api/2.0/mlflow/experiments/set-experiment-tag')).toBe('annotate');
  });

  it('keeps deletions, restorations, logging and artifact writes for admins', () => {
    for (const endpoint of ['runs/delete', 'runs/restore', 'experiments/delete', 'experiments/restore', 'runs/log-metric', 'runs/log-batch', 'runs/log-parameter', 'runs/create', 'runs/update', 'experiments/create', 'experiments/update']) {
      expect([endpoint, mlflowPermission('POST', `/mlflow/api/2.0/mlflow/${endpoint}`)]).toEqual([endpoint, 'admin']);
      expect([endpoint, mlflowPermission('POST', `/mlflow/ajax-api/2.0/mlflow/${endpoint}`)]).toEqual([endpoint, 'admin']);
    }
    expect(mlflowPermission('PUT', '/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/output/model.pkl')).toBe('admin');
    expect(mlflowPermission('DELETE', '/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/logs/log.txt')).toBe('admin');
    expect(mlflowPermission('PATCH', '/mlflow/api/2.0/mlflow/runs/search')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow/ajax-api/2.0/mlflow/upload-artifact?run_uuid=a&path=x')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow-artifacts/mpu/create/1/abc')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow/some/future/endpoint')).toBe('admin');
  });

  it('sees through encodings and refuses paths it cannot read as MLflow would', () => {
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/runs/%64elete')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/runs/search/../delete')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/runs/search%2F..%2Fdelete')).toBe('admin');
    expect(mlflowPermission('POST', '/mlflow//api/2.0/mlflow//runs/search')).toBe('read');
    expect(mlflowPermission('POST', '/mlflow/api/2.0/mlflow/runs/search%')).toBe('admin');
    expect(mlflowPermission('GET', '/mlflow/%2e%2e/api/v1/users')).toBe('admin');
    expect(mlflowRoutePath('/mlflow/a%20b?x=1')).toBe('/mlflow/a b');
    expect(mlflowRoutePath('/mlflow/a/./b')).toBeNull();
  });

  it('asks only for an identity outside /mlflow/', () => {
    expect(mlflowPermission('POST', '/')).toBe('read');
    expect(mlflowPermission('GET', '/executions/abc')).toBe('read');
  });
});

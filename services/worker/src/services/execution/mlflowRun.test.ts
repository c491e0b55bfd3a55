import { describe, expect, it } from '@jest/globals';
import { JobSpec } from '@plz/contracts';
import { executionPage, runDescription, runTags } from './mlflowRun.js';

const executionId = '3f0c9a52-7f0e-4b8e-9c1d-2a5b6c7d8e9f';
const payload = JobSpec.parse({
  execution_id: executionId,
  project: 'digits',
  user: 'alice',
  snapshot: 'a'.repeat(64),
  input: { kind: 'input', sha256: 'b'.repeat(64) },
  parameters: { lr: 0.1 },
  resources: { gpus: 1 },
  max_run_seconds: null,
});

describe('executionPage', () => {
  it('is the path on the deployment origin, and the full URL when the origin is known', () => {
    expect(executionPage(executionId, undefined)).toEqual({ path: `/executions/${executionId}` });
    expect(executionPage(executionId, 'https://gpu-box.example:8443')).toEqual({
      path: `/executions/${executionId}`,
      url: `https://gpu-box.example:8443/executions/${executionId}`,
    });
  });

  it('encodes what is not a path segment', () => {
    expect(executionPage('a/b?c', undefined).path).toBe('/executions/a%2Fb%3Fc');
  });
});

describe('runDescription', () => {
  it('is one Markdown line linking to the page, by URL or else by path', () => {
    const withUrl = runDescription(executionId, executionPage(executionId, 'https://gpu-box.example:8443'));
    expect(withUrl).toBe(`plz execution [${executionId}](https://gpu-box.example:8443/executions/${executionId}): logs, outputs and state in plz.`);
    expect(withUrl).not.toContain('\n');
    expect(runDescription(executionId, executionPage(executionId, undefined))).toContain(`[${executionId}](/executions/${executionId})`);
  });
});

describe('runTags', () => {
  it('carry the execution, its user, snapshot, input, worker and GPUs', () => {
    expect(runTags(payload, 'worker-gpu-0', ['0'])).toMatchObject({
      'plz.execution_id': executionId,
      'mlflow.user': 'alice',
      'plz.project': 'digits',
      'plz.snapshot': 'a'.repeat(64),
      'plz.input': 'b'.repeat(64),
      'plz.worker': 'worker-gpu-0',
      'plz.gpus': '0',
    });
    expect(runTags({ ...payload, input: null }, 'worker-cpu-0', [])).toMatchObject({ 'plz.input': '', 'plz.gpus': 'none' });
  });

  it("link the run to the execution's page: plz.execution_url and a description, when WEB_URL is known", () => {
    const tags = runTags(payload, 'worker-gpu-0', ['0'], 'https://gpu-box.example:8443');
    expect(tags['plz.execution_url']).toBe(`https://gpu-box.example:8443/executions/${executionId}`);
    expect(tags['mlflow.note.content']).toBe(`plz execution [${executionId}](https://gpu-box.example:8443/executions/${executionId}): logs, outputs and state in plz.`);
  });

  it('link by the relative path in the description only, without a URL tag, when WEB_URL is unset', () => {
    const tags = runTags(payload, 'worker-gpu-0', ['0']);
    expect(tags).not.toHaveProperty('plz.execution_url');
    expect(tags['mlflow.note.content']).toContain(`(/executions/${executionId})`);
  });

  it('stay within MLflow limits of a tag: keys up to 250 characters, values up to 8000', () => {
    for (const [key, value] of Object.entries(runTags(payload, 'worker-gpu-0', ['0', '1'], 'https://gpu-box.example:8443'))) {
      expect(key.length).toBeLessThanOrEqual(250);
      expect(value.length).toBeLessThanOrEqual(8000);
    }
  });
});

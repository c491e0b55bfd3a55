import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workerKey } from '@plz/contracts';
import { startTestApi, writeHeartbeat, type TestApi } from '../testing/harness.js';
import { spec, storeBlob } from '../testing/fixtures.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
}, 30_000);
afterAll(async () => api?.close());

describe('GET /api/v1/workers', () => {
  it('lists nothing before any worker or job', async () => {
    const answer = await api.call('GET', '/api/v1/workers', { token: api.admin.token });
    expect([answer.status, answer.json]).toEqual([200, { workers: [], queues: {} }]);
    expect((await api.call('GET', '/api/v1/workers')).status).toBe(401);
  });

  const limits = {
    memory_default: 8 * 1024 ** 3,
    memory_max: 64 * 1024 ** 3,
    cpus_default: 4,
    cpus_max: 32,
    shm_size_default: 2 * 1024 ** 3,
    pids_limit: 4096,
    max_run_seconds_default: 3 * 86_400,
    max_run_seconds_max: 30 * 86_400,
  };

  it('lists live workers from their heartbeats with their job limits, and queue lengths', async () => {
    const snapshot = await storeBlob(api, 'snapshots');
    const { json: execution } = await api.call('POST', '/api/v1/executions', { token: api.admin.token, json: spec(snapshot) });
    await api.call('POST', '/api/v1/executions', { token: api.admin.token, json: spec(snapshot) });
    await writeHeartbeat(api.redis, { worker_id: 'cpu-0', queue: 'cpu', limits });
    await writeHeartbeat(api.redis, { worker_id: 'gpu-0', queue: 'gpu', gpus: ['0'], execution_id: execution.id, heartbeatAt: new Date(Date.now() - 3000), gpu_details: [{ device: '0', name: 'NVIDIA H200', memory_mib: 143771 }] });
    // Not a worker's heartbeat (no queue): left out rather than failing the list.
    await api.redis.hset(workerKey('broken'), { worker_id: 'broken', heartbeat_at: new Date().toISOString() });
    // A worker whose heartbeat expired is gone.
    await writeHeartbeat(api.redis, { worker_id: 'gone', queue: 'cpu' });
    await api.redis.pexpire(workerKey('gone'), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));

    const answer = await api.call('GET', '/api/v1/workers', { token: api.admin.token });
    expect(answer.json.workers).toEqual([
      expect.objectContaining({ worker_id: 'cpu-0', queue: 'cpu', gpus: [], execution_id: null, hostname: 'test-host', limits, gpu_details: [] }),
      // A worker from before limits publishes none; its GPU's model and memory come from its nvidia-smi.
      expect.objectContaining({ worker_id: 'gpu-0', queue: 'gpu', gpus: ['0'], execution_id: execution.id, limits: null, gpu_details: [{ device: '0', name: 'NVIDIA H200', memory_mib: 143771 }] }),
    ]);
    const age = answer.json.workers[1].heartbeat_age_seconds;
    expect(age).toBeGreaterThanOrEqual(3);
    expect(age).toBeLessThan(10);
    expect(answer.json.queues).toEqual({ cpu: { waiting: 2, active: 0, delayed: 0 }, gpu: { waiting: 0, active: 0, delayed: 0 } });
  });
});

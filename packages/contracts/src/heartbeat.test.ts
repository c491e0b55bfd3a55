import { describe, expect, it } from '@jest/globals';
import { heartbeatFields, WorkerHeartbeat } from './heartbeat.js';

describe('worker heartbeats', () => {
  const beat = { worker_id: 'gpu-0', queue: 'gpu', gpus: ['0'], execution_id: null, hostname: 'h', started_at: '2024-01-01T00:00:00Z', heartbeat_at: '2024-01-01T00:00:05Z' };

  it('round-trips through the hash fields a worker writes', () => {
    const fields = heartbeatFields(beat);
    expect(fields).toEqual({ ...beat, gpus: '["0"]', execution_id: '' });
    expect(WorkerHeartbeat.parse(fields)).toEqual({ ...beat, execution_id: null });
    expect(WorkerHeartbeat.parse({ ...fields, execution_id: 'abc' }).execution_id).toBe('abc');
  });

  it('carries the GPU details of a worker that could read them, and stays valid without them', () => {
    const details = [{ device: '0', name: 'NVIDIA H200', memory_mib: 143771 }];
    const fields = heartbeatFields({ ...beat, gpu_details: details });
    expect(fields['gpu_details']).toBe('[{"device":"0","name":"NVIDIA H200","memory_mib":143771}]');
    expect(WorkerHeartbeat.parse(fields).gpu_details).toEqual(details);
    // a heartbeat of an older worker, without the field
    expect(heartbeatFields(beat)).not.toHaveProperty('gpu_details');
    expect(WorkerHeartbeat.parse(heartbeatFields(beat)).gpu_details).toBeUndefined();
    // unreadable details are left out, the heartbeat kept
    expect(WorkerHeartbeat.parse({ ...heartbeatFields(beat), gpu_details: 'not json' }).gpu_details).toBeUndefined();
    expect(WorkerHeartbeat.parse({ ...heartbeatFields(beat), gpu_details: '[{"device":0}]' }).gpu_details).toBeUndefined();
  });

  it('refuses hashes that are not heartbeats', () => {
    expect(WorkerHeartbeat.safeParse({ worker_id: 'w', heartbeat_at: '2024-01-01T00:00:00Z' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), gpus: 'not json' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), gpus: '[0]' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), heartbeat_at: 'soon' }).success).toBe(false);
  });
});

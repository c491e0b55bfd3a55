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

  it('refuses hashes that are not heartbeats', () => {
    expect(WorkerHeartbeat.safeParse({ worker_id: 'w', heartbeat_at: '2024-01-01T00:00:00Z' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), gpus: 'not json' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), gpus: '[0]' }).success).toBe(false);
    expect(WorkerHeartbeat.safeParse({ ...heartbeatFields(beat), heartbeat_at: 'soon' }).success).toBe(false);
  });
});

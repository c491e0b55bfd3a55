import { describe, expect, it } from '@jest/globals';
import type { WorkersResponse } from '@plz/contracts';
import { workersText } from './inspect.js';
import { formatBytes, formatLimits, formatSeconds } from './limits.js';

const G = 1024 ** 3;

describe('formatLimits', () => {
  it('writes defaults and maxima compactly', () => {
    const limits = {
      memory_default: 8 * G,
      memory_max: 64 * G,
      cpus_default: 4,
      cpus_max: 32,
      shm_size_default: 64 * 1024 ** 2,
      pids_limit: 4096,
      max_run_seconds_default: 3 * 86_400,
      max_run_seconds_max: 30 * 86_400,
    };
    expect(formatLimits(limits)).toBe('mem 8G (max 64G) cpus 4 (max 32) shm 64M pids 4096 time 3d (max 30d)');
    expect(formatLimits({ ...limits, memory_max: 8 * G, cpus_default: 0.5 })).toBe('mem 8G cpus 0.5 (max 32) shm 64M pids 4096 time 3d (max 30d)');
  });

  it('says - for a worker without limits and leaves out what is missing', () => {
    expect(formatLimits(null)).toBe('-');
    expect(formatLimits(undefined)).toBe('-');
    expect(formatLimits({})).toBe('-');
    expect(formatLimits({ pids_limit: 100, max_run_seconds_max: 7200 })).toBe('pids 100 time max 2h');
  });

  it('rounds bytes and seconds to one decimal in the largest unit', () => {
    expect(formatBytes(1.5 * G)).toBe('1.5G');
    expect(formatBytes(512)).toBe('512b');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2T');
    expect(formatSeconds(90)).toBe('1.5m');
    expect(formatSeconds(45)).toBe('45s');
    expect(formatSeconds(5400)).toBe('1.5h');
  });
});

describe('workersText', () => {
  it('ends each worker line with its limits, - for a worker without', () => {
    const worker = { queue: 'cpu', gpus: [], execution_id: null, hostname: 'h', started_at: null, heartbeat_at: '2026-01-01T00:00:00Z', heartbeat_age_seconds: 2 };
    const answer = {
      workers: [
        { ...worker, worker_id: 'w1', limits: { memory_default: 8 * G, memory_max: 64 * G, cpus_default: 4, cpus_max: 32, shm_size_default: 64 * 1024 ** 2, pids_limit: 4096, max_run_seconds_default: 86_400, max_run_seconds_max: 86_400 } },
        { ...worker, worker_id: 'w2', limits: null },
      ],
      queues: { cpu: { waiting: 0, active: 0, delayed: 0 } },
    } as WorkersResponse;
    expect(workersText(answer).split('\n')).toEqual([
      'w1  cpu      gpus=-  idle  (2 s ago)  mem 8G (max 64G) cpus 4 (max 32) shm 64M pids 4096 time 1d',
      'w2  cpu      gpus=-  idle  (2 s ago)  -',
      'queue cpu: 0 waiting, 0 active, 0 delayed',
    ]);
  });
});

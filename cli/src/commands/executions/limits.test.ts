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
      'w1  on h  cpu      gpus=-  idle  (2 s ago)  mem 8G (max 64G) cpus 4 (max 32) shm 64M pids 4096 time 1d',
      'w2  on h  cpu      gpus=-  idle  (2 s ago)  -',
      'queue cpu: 0 waiting, 0 active, 0 delayed',
    ]);
  });

  it("shows each GPU's model and memory where the worker read them, and only the ids elsewhere", () => {
    const h200 = { name: 'NVIDIA H200', memory_mib: 143771 };
    // no host: a worker older than host names in heartbeats
    const worker = { gpus: ['0'], execution_id: null, hostname: null, started_at: null, heartbeat_at: '2026-01-01T00:00:00Z', heartbeat_age_seconds: 1, limits: null };
    const answer = {
      workers: [
        { ...worker, worker_id: 'g0', queue: 'gpu', gpu_details: [{ device: '0', ...h200 }] },
        { ...worker, worker_id: 'g1', queue: 'gpu-x2', gpus: ['2', '3'], gpu_details: [{ device: '2', ...h200 }, { device: '3', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 }] },
        // a worker that could not run nvidia-smi, and one of an older deployment (no field at all)
        { ...worker, worker_id: 'g4', queue: 'gpu', gpus: ['4'], gpu_details: [] },
        { ...worker, worker_id: 'g5', queue: 'gpu', gpus: ['5'] },
      ],
      queues: {},
    } as WorkersResponse;
    expect(workersText(answer).split('\n')).toEqual([
      'g0  gpu      gpus=0 (NVIDIA H200 140.4 GiB)  idle  (1 s ago)  -',
      'g1  gpu-x2   gpus=2,3 (2: NVIDIA H200 140.4 GiB; 3: NVIDIA A100-SXM4-80GB 80 GiB)  idle  (1 s ago)  -',
      'g4  gpu      gpus=4  idle  (1 s ago)  -',
      'g5  gpu      gpus=5  idle  (1 s ago)  -',
    ]);
  });
});

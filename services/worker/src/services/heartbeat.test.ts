import { describe, expect, it } from '@jest/globals';
import { heartbeatFields, WorkerHeartbeat } from '@plz/contracts';
import { loadConfig } from '../config.js';
import { limitSettings } from './container/limits.js';
import { heartbeatLimits } from './heartbeat.js';

const env = {
  WORKER_ID: 'worker-cpu-0',
  DATABASE_URL: 'postgres://worker@db:5432/restapi',
  REDIS_URL: 'redis://redis:6379',
  S3_ENDPOINT: 'http://minio:9000',
  S3_ACCESS_KEY_ID: 'worker',
  S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
  MLFLOW_URL: 'http://mlflow:5000',
  JOBS_NETWORK: 'plz-jobs',
};
const beat = { worker_id: 'cpu-0', queue: 'cpu', gpus: [], execution_id: null, hostname: 'h', started_at: '2024-01-01T00:00:00Z', heartbeat_at: '2024-01-01T00:00:05Z' };

describe('heartbeat limits', () => {
  it('publishes the defaults and maxima, which the REST API reads back as numbers', () => {
    const limits = heartbeatLimits(limitSettings(loadConfig({ ...env, JOB_MEMORY_MAX: '16g', JOB_CPUS_DEFAULT: '0.5' })));
    const fields = heartbeatFields({ ...beat, limits });
    expect(fields).toMatchObject({ memory_max: String(16 * 1024 ** 3), cpus_default: '0.5', pids_limit: '4096' });
    expect(WorkerHeartbeat.parse(fields)).toMatchObject({
      memory_default: 8 * 1024 ** 3,
      memory_max: 16 * 1024 ** 3,
      cpus_default: 0.5,
      cpus_max: 32,
      shm_size_default: 2 * 1024 ** 3,
      pids_limit: 4096,
      max_run_seconds_default: 3 * 24 * 3600,
      max_run_seconds_max: 30 * 24 * 3600,
    });
  });

  it('still parses a heartbeat of a worker that publishes no limits', () => {
    const parsed = WorkerHeartbeat.parse(heartbeatFields(beat));
    expect(parsed.memory_max).toBeUndefined();
    expect(parsed.worker_id).toBe('cpu-0');
  });
});

import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config.js';
import { formatBytes, limitSettings, resolveLimits, type LimitSettings } from './limits.js';

const limitSettingsOn = (hostCpus: number) =>
  limitSettings(
    loadConfig({ WORKER_ID: 'w', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', S3_ENDPOINT: 'http://s3', S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b', MLFLOW_URL: 'http://m', JOBS_NETWORK: 'n' }),
    hostCpus,
  );

const GiB = 1024 ** 3;
const settings: LimitSettings = { memory: { default: 8 * GiB, max: 64 * GiB }, cpus: { default: 4, max: 32 }, shmDefault: 2 * GiB, pids: 4096, maxRunSeconds: { default: 3600, max: 86_400 } };

describe('resolveLimits', () => {
  it('gives a request without resources the defaults', () => {
    expect(resolveLimits({ resources: { gpus: 0 } }, settings)).toEqual({
      ok: true,
      limits: { memoryBytes: 8 * GiB, cpus: 4, shmBytes: 2 * GiB, pidsLimit: 4096, maxRunSeconds: 3600 },
    });
  });

  it('takes what the request asks within the maxima, and caps the default shm at the memory', () => {
    expect(resolveLimits({ resources: { gpus: 0, memory: 64 * GiB, cpus: 32, shm_size: GiB }, max_run_seconds: 86_400 }, settings)).toEqual({
      ok: true,
      limits: { memoryBytes: 64 * GiB, cpus: 32, shmBytes: GiB, pidsLimit: 4096, maxRunSeconds: 86_400 },
    });
    const small = resolveLimits({ resources: { gpus: 0, memory: 512 * 1024 ** 2 }, max_run_seconds: null }, settings);
    expect(small).toMatchObject({ ok: true, limits: { shmBytes: 512 * 1024 ** 2, maxRunSeconds: 3600 } });
  });

  it('refuses a request over a maximum, naming the limit and the setting', () => {
    expect(resolveLimits({ resources: { gpus: 0, memory: 128 * GiB } }, settings)).toEqual({ ok: false, reason: 'the execution asks for 128 GiB of memory, more than this worker allows (JOB_MEMORY_MAX = 64 GiB)' });
    expect(resolveLimits({ resources: { gpus: 0, cpus: 33 } }, settings)).toMatchObject({ ok: false, reason: expect.stringContaining('33 CPUs, more than this worker allows (JOB_CPUS_MAX = 32)') });
    expect(resolveLimits({ resources: { gpus: 0 }, max_run_seconds: 86_401 }, settings)).toMatchObject({ ok: false, reason: expect.stringContaining('JOB_MAX_RUN_SECONDS_MAX = 86400 s') });
    expect(resolveLimits({ resources: { gpus: 0, memory: GiB, shm_size: 2 * GiB } }, settings)).toMatchObject({ ok: false, reason: expect.stringContaining('2 GiB of /dev/shm, more than its memory limit of 1 GiB') });
  });

  it('caps the CPUs at the host\'s count', () => {
    expect(limitSettingsOn(2).cpus).toEqual({ default: 2, max: 2, hostCpus: 2 });
    expect(resolveLimits({ resources: { gpus: 0, cpus: 3 } }, limitSettingsOn(2))).toEqual({ ok: false, reason: 'the execution asks for 3 CPUs, more than this worker allows (its host has 2 CPUs)' });
    expect(limitSettingsOn(64).cpus).toEqual({ default: 4, max: 32, hostCpus: 64 });
  });

  it('writes sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(64 * 1024 ** 2), formatBytes(1.5 * GiB)]).toEqual(['512 bytes', '64 MiB', '1.5 GiB']);
  });
});

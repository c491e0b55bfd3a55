import { describe, expect, it } from '@jest/globals';
import {
  formatSize,
  parseSize,
  validateDefaultWithinMax,
  validateJobCpus,
  validateJobImageCacheGib,
  validateJobMemory,
  validateJobPidsLimit,
  validateJobRunSeconds,
  validateJobShmSize,
  validateShmWithinMemory,
} from './job-limits.js';

const GiB = 1024 ** 3;

describe('job limit validators', () => {
  it('read sizes as the worker does: digits with b, k, m or g, powers of 1024', () => {
    expect([parseSize('24g'), parseSize('512M'), parseSize('1024'), parseSize('2k'), parseSize('1.5g'), parseSize('g'), parseSize('8 gb')]).toEqual([24 * GiB, 512 * 1024 ** 2, 1024, 2048, undefined, undefined, undefined]);
    expect([formatSize(24 * GiB), formatSize(512 * 1024 ** 2), formatSize(1000)]).toEqual(['24g', '512m', '1000']);
  });

  it('accept sensible memory, CPUs, shm, PIDs, run times and image caches', () => {
    expect(validateJobMemory('job-memory-max', '24g')).toBe(true);
    expect(validateJobShmSize('64m')).toBe(true);
    expect([validateJobCpus('job-cpus-max', '4'), validateJobCpus('job-cpus-max', '0.5')]).toEqual([true, true]);
    expect(validateJobPidsLimit('4096')).toBe(true);
    expect(validateJobRunSeconds('job-max-run-seconds-max', '2592000')).toBe(true);
    expect([validateJobImageCacheGib('50'), validateJobImageCacheGib('0')]).toEqual([true, true]);
  });

  it('refuse bad values, naming the flag', () => {
    expect(validateJobMemory('job-memory-max', '24 GB')).toMatch(/--job-memory-max "24 GB" is not a size/);
    expect(validateJobMemory('job-memory-default', '1m')).toMatch(/--job-memory-default "1m" is too small: at least 64m/);
    expect(validateJobShmSize('-1')).toMatch(/--job-shm-size-default/);
    expect(validateJobCpus('job-cpus-max', '0')).toMatch(/--job-cpus-max "0" is not a number of CPUs/);
    expect(validateJobCpus('job-cpus-default', '2000')).toMatch(/up to 1024/);
    expect(validateJobPidsLimit('8')).toMatch(/--job-pids-limit "8" is not a whole number from 16/);
    expect(validateJobRunSeconds('job-max-run-seconds-default', '3d')).toMatch(/--job-max-run-seconds-default "3d" is not a whole number of seconds/);
    expect(validateJobRunSeconds('job-max-run-seconds-max', '0')).toMatch(/at least 1/);
    expect(validateJobImageCacheGib('lots')).toMatch(/--job-image-cache-gib "lots"/);
  });

  it('keep each default within its maximum, and shm within the default memory', () => {
    expect(validateDefaultWithinMax('CPUs', 'job-cpus-default', 4, 'job-cpus-max', 4)).toBe(true);
    expect(validateDefaultWithinMax('memory', 'job-memory-default', 32 * GiB, 'job-memory-max', 24 * GiB, formatSize)).toBe(
      'the default memory of a job (--job-memory-default 32g) is above its maximum (--job-memory-max 24g): lower the default or raise the maximum',
    );
    expect(validateShmWithinMemory(2 * GiB, 2 * GiB)).toBe(true);
    expect(validateShmWithinMemory(4 * GiB, 2 * GiB)).toMatch(/--job-shm-size-default 4g\) is above the default memory of a job \(--job-memory-default 2g\)/);
  });
});

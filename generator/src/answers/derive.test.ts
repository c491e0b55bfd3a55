import { describe, expect, it } from '@jest/globals';
import { deriveJobLimits, isJobLimit, readHostFacts, referenceHost } from './derive.js';
import { parseAnswers, defaultAnswers } from './schema.js';

const GiB = 1024 ** 3;
const fixed = { jobPidsLimit: 4096, jobMaxRunSecondsDefault: 259200, jobMaxRunSecondsMax: 2592000, jobImageCacheGib: 50, inputCacheGib: 20 };

describe('deriveJobLimits', () => {
  it('gives one worker of a 16 GiB, 4-CPU host what the services leave: 12 GiB, 4 CPUs', () => {
    expect(deriveJobLimits({ hostMemoryBytes: 16 * GiB, hostCpus: 4, workers: 1 })).toEqual({
      jobMemoryMax: '12g', jobMemoryDefault: '8g', jobCpusMax: 4, jobCpusDefault: 4, jobShmSizeDefault: '2g', ...fixed,
    });
  });

  it('shares a 256 GiB, 64-CPU host among 8 workers: a quarter kept for the services', () => {
    expect(deriveJobLimits({ hostMemoryBytes: 256 * GiB, hostCpus: 64, workers: 8 })).toEqual({
      jobMemoryMax: '24g', jobMemoryDefault: '8g', jobCpusMax: 8, jobCpusDefault: 4, jobShmSizeDefault: '2g', ...fixed,
    });
  });

  it('gives a tiny 4 GiB, 2-CPU host 1 GiB and 1 CPU per worker at least, shm within the memory', () => {
    expect(deriveJobLimits({ hostMemoryBytes: 4 * GiB, hostCpus: 2, workers: 3 })).toEqual({
      jobMemoryMax: '1g', jobMemoryDefault: '1g', jobCpusMax: 1, jobCpusDefault: 1, jobShmSizeDefault: '1g', ...fixed,
    });
  });

  it('rounds memory down to whole GiB, as the host reports a little less than its nominal size', () => {
    const limits = deriveJobLimits({ hostMemoryBytes: 31.3 * GiB, hostCpus: 12, workers: 2 });
    expect(limits).toMatchObject({ jobMemoryMax: '11g', jobMemoryDefault: '8g', jobCpusMax: 6, jobCpusDefault: 4 });
  });

  it('counts no worker as one', () => {
    expect(deriveJobLimits({ hostMemoryBytes: 16 * GiB, hostCpus: 4, workers: 0 }).jobMemoryMax).toBe('12g');
  });

  it('always yields answers the schema accepts', () => {
    for (const hostMemoryBytes of [1, 2, 4, 16, 64, 256, 1024].map((gib) => gib * GiB)) {
      for (const [hostCpus, workers] of [[1, 1], [4, 1], [8, 16], [64, 8], [128, 3]] as const) {
        const limits = deriveJobLimits({ hostMemoryBytes, hostCpus, workers });
        expect(() => parseAnswers({ ...defaultAnswers(), ...limits })).not.toThrow();
      }
    }
  });

  it('names the job-limit answers, and reads this host', () => {
    expect([isJobLimit('jobMemoryMax'), isJobLimit('jobImageCacheGib'), isJobLimit('cpuWorkers')]).toEqual([true, true, false]);
    const host = readHostFacts();
    expect(host.memoryBytes).toBeGreaterThan(0);
    expect(host.cpus).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(host.gpus)).toBe(true);
    expect(referenceHost).toEqual({ memoryBytes: 16 * GiB, cpus: 4, gpus: [] });
  });
});

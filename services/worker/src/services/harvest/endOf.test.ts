import { describe, expect, it } from '@jest/globals';
import { endOf } from './harvest.js';

const exit = (exitCode: number, extra: { oomKilled?: boolean; stoppedFor?: 'user' | 'timeout' } = {}) => ({
  exit: { exitCode, oomKilled: extra.oomKilled ?? false, memoryBytes: 64 * 1024 ** 2, stoppedFor: extra.stoppedFor },
  maxRunSeconds: 60,
});

describe('end state of an exited job', () => {
  it('maps exit codes, stops and limits to states', () => {
    expect(endOf(exit(0), [])).toEqual({ state: 'succeeded', exitCode: 0, error: null });
    expect(endOf(exit(42), [])).toEqual({ state: 'failed', exitCode: 42, error: null });
    expect(endOf(exit(137, { oomKilled: true }), [])).toMatchObject({ state: 'error', exitCode: 137, error: expect.stringMatching(/^out of memory: the job went past its memory limit of 64 MiB/) });
    expect(endOf(exit(143, { stoppedFor: 'user' }), [])).toEqual({ state: 'stopped', exitCode: 143, error: null });
    expect(endOf(exit(143, { stoppedFor: 'timeout' }), [])).toEqual({ state: 'error', exitCode: 143, error: 'maximum run time exceeded (60 s)' });
  });

  it('turns a harvest that lost something into an error', () => {
    expect(endOf(exit(0), ['output: connection reset'])).toEqual({ state: 'error', exitCode: 0, error: 'harvest failed: output: connection reset' });
    expect(endOf(exit(3), [], ['the output is 9 bytes, more than JOB_OUTPUT_MAX_BYTES'])).toEqual({ state: 'error', exitCode: 3, error: 'the output is 9 bytes, more than JOB_OUTPUT_MAX_BYTES' });
    expect(endOf(exit(0), ['summary: x'], ['over'])).toEqual({ state: 'error', exitCode: 0, error: 'over; harvest failed: summary: x' });
  });
});

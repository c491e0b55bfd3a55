import { describe, expect, it } from '@jest/globals';
import type { ExecutionStatus, QueuesResponse } from '@plz/contracts';
import { executionId as id, queuedStatus } from './fixtures.js';
import { fairShareText, statusText } from './format.js';

const base: ExecutionStatus = { ...queuedStatus, queue_position: null };
const position = queuedStatus.queue_position!;

describe('statusText', () => {
  it('keeps the first line of an execution that is not queued as it was', () => {
    expect(statusText({ ...base, state: 'running', priority: 'high' })).toBe(`${id}: running`);
    expect(statusText({ ...base, state: 'failed', exit_code: 3 })).toBe(`${id}: failed (exit code 3)`);
    expect(statusText({ ...base, state: 'error', error: 'image build failed' })).toBe(`${id}: error (image build failed)`);
  });

  it('adds the priority, position, users ahead and expected start of a queued execution', () => {
    expect(statusText({ ...base, queue_position: position }).split('\n')).toEqual([
      `${id}: queued`,
      '  priority normal, 3rd in queue cpu',
      '  ahead: alice 2, bob 1',
      '  starts in about 2 min',
    ]);
  });

  it('says when nobody is ahead, when it starts within a minute, and when no worker is alive', () => {
    const next = statusText({ ...base, priority: 'high', queue_position: { ...position, position: 1, ahead: [], estimated_start_seconds: 0 } });
    expect(next.split('\n').slice(1)).toEqual(['  priority high, 1st in queue cpu', '  ahead: nobody', '  starts in less than a minute']);
    const stranded = statusText({ ...base, queue: 'gpu', queue_position: { ...position, workers: 0, estimated_start_seconds: null } });
    expect(stranded.split('\n')[3]).toBe('  no live worker serves queue gpu: it starts once one does');
  });

  it('prints the priority alone without a position, and nothing more from a deployment older than priorities', () => {
    expect(statusText(base).split('\n')).toEqual([`${id}: queued`, '  priority normal in queue cpu']);
    const { priority: _priority, queue_position: _position, ...old } = base;
    expect(statusText(old as ExecutionStatus)).toBe(`${id}: queued`);
  });
});

describe('fairShareText', () => {
  const answer: QueuesResponse = {
    window_seconds: 86_400,
    quantum_seconds: 300,
    max_running_per_user: 2,
    high_priority_allowance: 3,
    queues: {
      cpu: {
        gpus_per_worker: 0,
        workers: 2,
        waiting: 4,
        running: 2,
        users: [
          { user: 'bob', waiting: { high: 0, normal: 1, low: 0 }, running: 1, usage_seconds: 2700, gpu_seconds: 0, next_position: 1 },
          { user: 'alice', waiting: { high: 1, normal: 2, low: 0 }, running: 1, usage_seconds: 7500, gpu_seconds: 0, next_position: 2 },
          { user: 'carol', waiting: { high: 0, normal: 0, low: 0 }, running: 0, usage_seconds: 60, gpu_seconds: 0, next_position: null },
        ],
      },
      gpu: {
        gpus_per_worker: 2,
        workers: 1,
        waiting: 1,
        running: 0,
        users: [{ user: 'alice', waiting: { high: 0, normal: 0, low: 1 }, running: 0, usage_seconds: 3600, gpu_seconds: 7200, next_position: 1 }],
      },
      big: { gpus_per_worker: 8, workers: 1, waiting: 0, running: 0, users: [] },
    },
  };

  it('states the window, the cap and the allowance, then a table of users per queue', () => {
    expect(fairShareText(answer).split('\n')).toEqual([
      'fair share: use over the last 24 h, counted in 5 min quanta; at most 2 running per user and queue; 3 high-priority executions per user per 24 h (admins: no limit)',
      'queue cpu: 2 workers, 4 waiting, 2 running',
      '  USER   WAITING H/N/L  RUNNING  USED (24 h)  NEXT',
      '  bob    0/1/0          1        45 min       1st',
      '  alice  1/2/0          1        2 h 05 min   2nd',
      '  carol  0/0/0          0        1 min        -',
      'queue gpu: 1 worker (2 GPUs each), 1 waiting, 0 running',
      '  USER   WAITING H/N/L  RUNNING  USED (24 h)  GPU TIME  NEXT',
      '  alice  0/0/1          0        1 h          2 h       1st',
      'queue big: 1 worker (8 GPUs each), 0 waiting, 0 running',
      '  nobody waits or runs',
    ]);
  });

  it('says when there is no cap and no queue', () => {
    const text = fairShareText({ ...answer, max_running_per_user: null, queues: {} });
    expect(text).toContain('; no cap on running executions per user;');
    expect(text.split('\n')[1]).toBe('no queue has waiting or running executions');
  });
});

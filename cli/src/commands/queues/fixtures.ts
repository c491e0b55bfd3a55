import type { ExecutionStatus } from '@plz/contracts';

// Test data shared by format.test.ts and commands.test.ts (not part of the CLI: nothing imports it but tests).

/** An execution id. */
export const executionId = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** The status of a queued execution: normal priority, 3rd in queue cpu behind alice (2) and bob (1), starting in 150 s. */
export const queuedStatus: ExecutionStatus = {
  id: executionId,
  state: 'queued',
  queue: 'cpu',
  exit_code: null,
  error: null,
  worker_id: null,
  created_at: '2026-11-29T10:00:00Z',
  started_at: null,
  finished_at: null,
  priority: 'normal',
  queue_position: { position: 3, ahead: [{ user: 'alice', executions: 2 }, { user: 'bob', executions: 1 }], workers: 2, typical_seconds: 300, estimated_start_seconds: 150 },
};

import type { ExecutionStatus, QueuePosition, QueueShare, QueuesResponse } from '@plz/contracts';
import { formatHoursMinutes, formatOrdinal, formatSpan, formatTable } from '../../output.js';

/**
 * `plz status` and `plz priority` for people. The first line is `<id>: <state>`, with the exit code
 * of a failed execution or the error of one in error. A queued execution gets indented lines
 * after it: its priority and position (`priority normal, 3rd in queue cpu`), the users whose
 * executions start before it (`ahead: alice 2, bob 1`), and when it may start (`starts in about
 * 2 min`, from `estimated_start_seconds`; no estimate while no worker of the queue is alive).
 * A deployment older than priorities sends neither field: the first line alone.
 */
export function statusText(status: ExecutionStatus): string {
  const detail = status.state === 'failed' ? ` (exit code ${status.exit_code})` : status.state === 'error' ? ` (${status.error})` : '';
  const first = `${status.id}: ${status.state}${detail}`;
  if (status.state !== 'queued' || status.priority === undefined) return first;
  const position = status.queue_position;
  if (!position) return [first, `  priority ${status.priority} in queue ${status.queue}`].join('\n');
  return [first, `  priority ${status.priority}, ${formatOrdinal(position.position)} in queue ${status.queue}`, `  ahead: ${aheadText(position)}`, `  ${startText(position, status.queue)}`].join('\n');
}

function aheadText(position: QueuePosition): string {
  return position.ahead.length ? position.ahead.map((user) => `${user.user} ${user.executions}`).join(', ') : 'nobody';
}

function startText(position: QueuePosition, queue: string): string {
  const seconds = position.estimated_start_seconds;
  if (seconds === null) return `no live worker serves queue ${queue}: it starts once one does`;
  return seconds < 60 ? 'starts in less than a minute' : `starts in about ${formatSpan(seconds)}`;
}

/**
 * The fair-share part of `plz workers` for people (`GET /api/v1/queues`): one line for the
 * deployment's settings (the window use is counted over, the cap on running executions per user
 * and the allowance of `high` ones), then per queue a line of counts and a table of its users,
 * next first: executions waiting by priority (`high/normal/low`), running, use of the queue's
 * workers over the window (worker time, and GPU time when the queue's workers have GPUs, in hours
 * and minutes) and the position of their next execution (`-` when none waits).
 */
export function fairShareText(answer: QueuesResponse): string {
  const window = formatHoursMinutes(answer.window_seconds);
  const cap = answer.max_running_per_user === null ? 'no cap on running executions per user' : `at most ${answer.max_running_per_user} running per user and queue`;
  const settings = `fair share: use over the last ${window}, counted in ${formatHoursMinutes(answer.quantum_seconds)} quanta; ${cap}; ${answer.high_priority_allowance} high-priority executions per user per ${window} (admins: no limit)`;
  const queues = Object.entries(answer.queues).map(([name, queue]) => queueText(name, queue, window));
  return [settings, ...(queues.length ? queues : ['no queue has waiting or running executions'])].join('\n');
}

function queueText(name: string, queue: QueueShare, window: string): string {
  const gpus = queue.gpus_per_worker > 0;
  const workers = `${queue.workers} worker${queue.workers === 1 ? '' : 's'}${gpus ? ` (${queue.gpus_per_worker} GPU${queue.gpus_per_worker === 1 ? '' : 's'} each)` : ''}`;
  const heading = `queue ${name}: ${workers}, ${queue.waiting} waiting, ${queue.running} running`;
  if (queue.users.length === 0) return `${heading}\n  nobody waits or runs`;
  const headers = ['USER', 'WAITING H/N/L', 'RUNNING', `USED (${window})`, ...(gpus ? ['GPU TIME'] : []), 'NEXT'];
  const rows = queue.users.map((user) => [
    user.user,
    `${user.waiting.high}/${user.waiting.normal}/${user.waiting.low}`,
    String(user.running),
    formatHoursMinutes(user.usage_seconds),
    ...(gpus ? [formatHoursMinutes(user.gpu_seconds)] : []),
    user.next_position === null ? '-' : formatOrdinal(user.next_position),
  ]);
  const table = formatTable(headers, rows).split('\n').map((line) => `  ${line}`);
  return [heading, ...table].join('\n');
}

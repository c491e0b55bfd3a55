import { formatByteSize as formatBytes, type HeartbeatLimits, type Resources } from '@plz/contracts';

/**
 * Why a worker with `limits` would refuse an execution asking for `resources` and
 * `maxRunSeconds` (the worker's own check, services/worker limits.ts, done at submit so that a
 * request no worker accepts never waits in the queue): one message per limit passed, naming the
 * worker setting; empty when it would accept it. `shm_size` may not exceed the memory the job
 * gets (asked, else the worker's default).
 */
export function limitProblems(resources: Resources, maxRunSeconds: number | undefined, limits: HeartbeatLimits): string[] {
  const problems: string[] = [];
  if (resources.memory !== undefined && resources.memory > limits.memory_max) {
    problems.push(`memory ${formatBytes(resources.memory)} is more than the maximum, ${formatBytes(limits.memory_max)} (JOB_MEMORY_MAX)`);
  }
  if (resources.cpus !== undefined && resources.cpus > limits.cpus_max) {
    problems.push(`${resources.cpus} CPUs is more than the maximum, ${limits.cpus_max} (JOB_CPUS_MAX)`);
  }
  const memory = resources.memory ?? limits.memory_default;
  if (resources.shm_size !== undefined && resources.shm_size > memory) {
    problems.push(`shm_size ${formatBytes(resources.shm_size)} is more than the job's memory, ${formatBytes(memory)}`);
  }
  if (maxRunSeconds !== undefined && maxRunSeconds > limits.max_run_seconds_max) {
    problems.push(`max_run_seconds ${maxRunSeconds} is more than the maximum, ${limits.max_run_seconds_max} s (JOB_MAX_RUN_SECONDS_MAX)`);
  }
  return problems;
}

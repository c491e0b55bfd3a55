import { ExecutionSpec, JobInput, type Identity, type InputRef, type RerunRequest } from '@plz/contracts';
import { notFound } from '../../errors.js';
import type { ExecutionsRepository, StoredExecution } from '../../repositories/executions.js';
import type { Submitter } from './submitter.js';

const StoredInput = JobInput;

/** The InputRef that reproduces a stored (resolved) input. */
export function inputRefOf(stored: unknown): InputRef | null {
  const input = StoredInput.parse(stored ?? null);
  if (input === null) return null;
  return input.kind === 'input' ? { kind: 'input', sha256: input.sha256 } : { kind: 'execution_output', execution_id: input.execution_id };
}

/**
 * Runs an execution again: same project, snapshot, input, resources and time limit; parameters,
 * name, tags and priority replaced when the request gives them (parameters as a whole, not merged).
 *
 * @throws AppError `not_found`, or any refusal of Submitter.submit.
 */
export async function rerun(executions: ExecutionsRepository, submitter: Submitter, id: string, request: RerunRequest, who: Identity): Promise<StoredExecution> {
  const original = await executions.find(id);
  if (!original) throw notFound('execution', id);
  const spec = ExecutionSpec.parse({
    project: original.project,
    ...((request.name ?? original.name) ? { name: request.name ?? original.name } : {}),
    tags: request.tags ?? original.tags,
    snapshot: original.snapshot,
    input: inputRefOf(original.input),
    parameters: request.parameters ?? original.parameters,
    resources: original.resources,
    ...(original.max_run_seconds ? { max_run_seconds: original.max_run_seconds } : {}),
    queue_without_worker: request.queue_without_worker,
    priority: request.priority ?? original.priority,
  });
  return submitter.submit(spec, who, original.id);
}

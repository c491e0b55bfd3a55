import { createHash } from 'node:crypto';
import type { JobInput, Parameters, Resources } from '@plz/contracts';

/**
 * Canonical JSON of a JSON value: object keys sorted (by UTF-16 code units, as
 * Array.prototype.sort does), no white space, strings and numbers as JSON.stringify writes them
 * (ECMAScript Number::toString). For the JSON values a request body parses to, this is RFC 8785
 * (JSON Canonicalization Scheme). Keys whose value is undefined are left out, as JSON.stringify does.
 * Written here rather than taken from a package: the stored reuse keys depend on every byte of it,
 * so it must not change with a dependency's upgrade.
 *
 * @throws Error for a value JSON has no text for (a function, a bigint, a non-finite number).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new Error(`not a JSON value: ${typeof value}`);
}

/** What the reuse key of an execution is computed from: what decides what its job does. */
export interface ReuseKeyParts {
  /** sha256 of the snapshot: the code and its Dockerfile (the image, its extensions and the command). */
  snapshot: string;
  /** The resolved input (Submitter.resolveInput), or null. */
  input: JobInput;
  parameters: Parameters;
  /** As parsed (contracts Resources: sizes in bytes, so `2g` and 2147483648 are equal). */
  resources: Resources;
  /** The queue that serves it (follows from `resources.gpus`). */
  queue: string;
  /** The time limit asked for; null when left to the worker's default. */
  maxRunSeconds: number | null;
}

/** Version of the key's composition: a change of what goes in gives keys that match no older one. */
const keyVersion = 1;

/**
 * The reuse key of an execution (issue 17 item 5): hex sha256 of the canonical JSON (canonicalJson) of
 * `{v, snapshot, input, parameters, resources, queue, max_run_seconds}`. An input that is an
 * earlier execution's output counts by where that output is (its MLflow run), so naming an
 * execution or one that reused it gives the same key. Not in the key: the project, name, tags,
 * priority and times (they change nothing of what the job does), and the user (reuse looks up the
 * submitter's own executions only: ExecutionStore.reusable). The image is the snapshot's
 * Dockerfile `FROM` line: an image tag that names other bytes since is not seen.
 */
export function reuseKey(parts: ReuseKeyParts): string {
  const input =
    parts.input === null
      ? null
      : parts.input.kind === 'input'
        ? { kind: 'input', sha256: parts.input.sha256 }
        : { kind: 'execution_output', mlflow_experiment_id: parts.input.mlflow_experiment_id, mlflow_run_id: parts.input.mlflow_run_id };
  const document = {
    v: keyVersion,
    snapshot: parts.snapshot,
    input,
    parameters: parts.parameters,
    resources: parts.resources,
    queue: parts.queue,
    max_run_seconds: parts.maxRunSeconds,
  };
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { buckets, type JobSpec } from '@plz/contracts';
import { runArtifactRoot } from '@plz/mlflow-client';
import type { ObjectStore } from '../../adapters/s3/objects.js';

/**
 * The output of an earlier execution as a tar stream (entries relative to its output folder),
 * made on the fly from its objects under `<experiment>/<run>/artifacts/output/` in the `mlflow`
 * bucket, one object after the other: nothing is held whole in memory. Errors destroy the stream.
 */
export function executionOutputArchive(objects: ObjectStore, input: Extract<NonNullable<JobSpec['input']>, { kind: 'execution_output' }>): Readable {
  const prefix = `${runArtifactRoot(input.mlflow_experiment_id, input.mlflow_run_id)}/output/`;
  const pack = tar.pack();
  void (async () => {
    for await (const object of objects.list(buckets.mlflow, prefix)) {
      const name = object.key.slice(prefix.length);
      if (!name || name.endsWith('/')) continue;
      const body = await objects.read(buckets.mlflow, object.key);
      await pipeline(body, pack.entry({ name, size: object.size, mode: 0o644, mtime: new Date() }));
    }
    pack.finalize();
  })().catch((error: Error) => pack.destroy(error));
  // A Node stream (tar-stream's are streamx streams, which dockerode and the AWS SDK do not all take).
  return Readable.from(pack);
}

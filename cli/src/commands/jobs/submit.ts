import type { ExecutionSpec, InputRef } from '@plz/contracts';
import type { ApiClient } from '../../api/client.js';
import { progress, uploadIfMissing } from '../../api/transfer.js';
import { exitCodes } from '../../errors.js';
import type { ResolvedConfig } from '../../config/schema.js';
import type { Printer } from '../../output.js';
import { contentBytes, packArchive, removeTemporaryArchives } from '../../snapshot/archive.js';
import { listContext } from '../../snapshot/context.js';
import { snapshotDockerfile } from '../../snapshot/dockerfile.js';
import { prepareInput } from '../../snapshot/input.js';

/** The stored snapshot and input an execution (or a sweep) references. */
export interface Prepared {
  snapshot: string;
  input: InputRef | null;
}

/**
 * Captures the context as a snapshot (with its Dockerfile at the root), uploads it if the server
 * lacks it, and resolves the input (uploading a local folder once per content).
 */
export async function prepareSubmission(config: ResolvedConfig, api: ApiClient, printer: Printer): Promise<Prepared> {
  const entries = listContext(config.context_path, {
    excludedPaths: config.excluded_paths,
    includedPaths: config.included_paths,
    excludeGitignored: config.exclude_gitignored_files,
  });
  const dockerfile = snapshotDockerfile(config.context_path, { image: config.image, imageExtensions: config.image_extensions, command: config.command });
  // Ctrl-C while packing or uploading: remove the temporary archives, then end as interrupted.
  const onInterrupt = () => {
    removeTemporaryArchives();
    printer.warn('interrupted: nothing was submitted');
    process.exit(exitCodes.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const bar = progress('packing snapshot', contentBytes(config.context_path, entries), printer.progress);
  let archive: Awaited<ReturnType<typeof packArchive>>;
  try {
    archive = await packArchive(config.context_path, entries, { gzip: true, extraFiles: { Dockerfile: dockerfile }, onProgress: (n) => bar.tick(n) });
  } catch (error) {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
    throw error;
  } finally {
    bar.stop();
  }
  try {
    const uploaded = await uploadIfMissing(api, 'snapshots', archive.sha256, archive.file, archive.bytes, printer.progress);
    printer.info(`snapshot ${archive.sha256.slice(0, 12)}: ${entries.filter((e) => !e.endsWith('/')).length} files, ${(archive.bytes / 1024).toFixed(0)} KiB${uploaded ? ', uploaded' : ', already stored'}`);
    const input = await prepareInput(config.input, api, { showProgress: printer.progress, env: process.env });
    if (input.outcome === 'uploaded') printer.info(`input ${input.ref?.kind === 'input' ? input.ref.sha256.slice(0, 12) : ''}: uploaded ${(input.bytes ?? 0) / 1024 > 1024 ? `${((input.bytes ?? 0) / 1048576).toFixed(1)} MiB` : `${((input.bytes ?? 0) / 1024).toFixed(0)} KiB`}`);
    else if (input.outcome === 'reused' || input.outcome === 'present') printer.info('input: unchanged, already stored');
    return { snapshot: archive.sha256, input: input.ref };
  } finally {
    archive.dispose();
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
}

/** The execution spec for the configuration, prepared snapshot and input, and parameters. */
export function executionSpec(config: ResolvedConfig, prepared: Prepared, parameters: Record<string, unknown>, extra: { name?: string; queueWithoutWorker?: boolean } = {}): ExecutionSpec {
  return {
    project: config.project,
    snapshot: prepared.snapshot,
    input: prepared.input,
    parameters,
    resources: config.resources,
    tags: [],
    queue_without_worker: Boolean(extra.queueWithoutWorker),
    ...(config.max_run_seconds ? { max_run_seconds: config.max_run_seconds } : {}),
    ...(extra.name ? { name: extra.name } : {}),
  };
}

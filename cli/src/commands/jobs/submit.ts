import type { ExecutionSpec, InputRef, Priority } from '@plz/contracts';
import type { z } from 'zod';
import type { ApiClient } from '../../api/client.js';
import { fileBody, progress, uploadIfMissing } from '../../api/transfer.js';
import { exitCodes } from '../../errors.js';
import type { ResolvedConfig } from '../../config/schema.js';
import type { Printer } from '../../output.js';
import { userConfigFile } from '../../config/load.js';
import { contentBytes, packArchive, removeTemporaryArchives, type PackedArchive } from '../../snapshot/archive.js';
import { listContext, neverInSnapshot } from '../../snapshot/context.js';
import { snapshotDockerfile } from '../../snapshot/dockerfile.js';
import { stageInput, type StagedInput } from '../../snapshot/input.js';
import { tokensToRefuse } from '../../snapshot/scan.js';

/** The stored snapshot and input an execution (or a sweep) references. */
export interface Prepared {
  snapshot: string;
  input: InputRef | null;
}

/** Where the configuration came from: the files it was read from, and the environment. */
export interface SubmissionSources {
  /** The configuration files read (loadConfig's `files`). */
  configFiles: readonly string[];
  env: Record<string, string | undefined>;
}

/**
 * Captures the context as a snapshot (with its Dockerfile at the root, generated from the merged
 * configuration), packs the input, and only then uploads what the server lacks: the snapshot,
 * then the input (a local folder once per content).
 *
 * No snapshot holds a credential: every file named `plz.config.json`, the user configuration
 * and the configuration files read (a `-c FILE`) are left out whatever `included_paths` says
 * (neverInSnapshot), and the snapshot and a local input are refused, before anything is
 * uploaded, when a file holds the caller's token (tokensToRefuse).
 *
 * @throws TokenInUploadError naming the upload and its first file that holds the token.
 */
export async function prepareSubmission(config: ResolvedConfig, api: ApiClient, printer: Printer, sources: SubmissionSources): Promise<Prepared> {
  const entries = listContext(config.context_path, {
    excludedPaths: config.excluded_paths,
    includedPaths: config.included_paths,
    excludeGitignored: config.exclude_gitignored_files,
    ...neverInSnapshot([userConfigFile({ env: sources.env }), ...sources.configFiles]),
  });
  const tokens = tokensToRefuse(config.token, sources.env);
  const dockerfile = snapshotDockerfile(config.context_path, { image: config.image, imageExtensions: config.image_extensions, command: config.command });
  // Ctrl-C while packing or uploading: remove the temporary archives, then end as interrupted.
  const onInterrupt = () => {
    removeTemporaryArchives();
    printer.warn('interrupted: nothing was submitted');
    process.exit(exitCodes.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  let archive: PackedArchive | undefined;
  let input: StagedInput | undefined;
  try {
    const bar = progress('packing snapshot', contentBytes(config.context_path, entries), printer.progress);
    try {
      archive = await packArchive(config.context_path, entries, {
        gzip: true,
        extraFiles: { Dockerfile: dockerfile },
        onProgress: (n) => bar.tick(n),
        scan: { tokens, what: 'the snapshot' },
      });
    } finally {
      bar.stop();
    }
    input = await stageInput(config.input, api, { showProgress: printer.progress, env: sources.env, tokens });
    const uploaded = await uploadIfMissing(api, 'snapshots', archive.sha256, fileBody(archive.file), archive.bytes, printer.progress);
    printer.info(`snapshot ${archive.sha256.slice(0, 12)}: ${entries.filter((e) => !e.endsWith('/')).length} files, ${(archive.bytes / 1024).toFixed(0)} KiB${uploaded ? ', uploaded' : ', already stored'}`);
    const prepared = await input.upload();
    if (prepared.outcome === 'uploaded') printer.info(`input ${prepared.ref?.kind === 'input' ? prepared.ref.sha256.slice(0, 12) : ''}: uploaded ${(prepared.bytes ?? 0) / 1024 > 1024 ? `${((prepared.bytes ?? 0) / 1048576).toFixed(1)} MiB` : `${((prepared.bytes ?? 0) / 1024).toFixed(0)} KiB`}`);
    else if (prepared.outcome === 'reused' || prepared.outcome === 'present') printer.info('input: unchanged, already stored');
    return { snapshot: archive.sha256, input: prepared.ref };
  } finally {
    archive?.dispose();
    input?.dispose();
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
}

/**
 * The execution spec (the body of `POST /api/v1/executions`, and of `POST /api/v1/sweeps` with
 * its parameters replaced) for the configuration, prepared snapshot and input, and parameters.
 * `priority` is `extra.priority` (the `--priority` flag), else the configuration's `priority`,
 * else left out: the deployment's default (`normal`) applies, and a deployment older than
 * priorities still accepts the spec. `reuse` (the `--reuse` flag or the configuration's `reuse`)
 * is sent only when true.
 */
export function executionSpec(
  config: ResolvedConfig,
  prepared: Prepared,
  parameters: Record<string, unknown>,
  extra: { name?: string; queueWithoutWorker?: boolean; priority?: Priority; reuse?: boolean } = {},
): z.input<typeof ExecutionSpec> {
  const priority = extra.priority ?? config.priority;
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
    ...(priority ? { priority } : {}),
    // Only when asked: a deployment older than reuse refuses the key.
    ...(extra.reuse ? { reuse: true } : {}),
  };
}

import { z } from 'zod';
import type { Parameters } from './spec.js';

/**
 * The contract with the job (ARCHITECTURE.md §4, compatible with Plz): the job finds the path of a
 * JSON file in the environment variable `CONFIGURATION_FILE`. Paths below are inside the container.
 */
export const configurationFileEnv = 'CONFIGURATION_FILE';
export const containerPaths = {
  root: '/plz',
  configurationFile: '/plz/configuration.json',
  input: '/plz/input',
  output: '/plz/output',
  measures: '/plz/measures',
  summary: '/plz/summary.json',
  /**
   * The folder a worker with an input cache mounts from its own disk for the summary (with the
   * output and the measures folders: services/worker container/plzFolders.ts); the configuration
   * then names `mountedSummary` as `summary_measures_path`.
   */
  summaryFolder: '/plz/summary',
  mountedSummary: '/plz/summary/summary.json',
  datasets: '/datasets',
} as const;

/** Content of the configuration file. */
export const JobConfiguration = z
  .object({
    input_directory: z.string(),
    output_directory: z.string(),
    measures_directory: z.string(),
    summary_measures_path: z.string(),
    parameters: z.record(z.string(), z.unknown()),
    /** Present when the deployment mounts datasets (read-only). */
    datasets_directory: z.string().optional(),
    execution_id: z.string().uuid(),
  })
  .strict();
export type JobConfiguration = z.infer<typeof JobConfiguration>;

/**
 * Builds the configuration file's content for one execution. `options.summaryPath`: where the job
 * writes its summary (default `containerPaths.summary`; `containerPaths.mountedSummary` when the
 * worker mounts the summary folder). Jobs take every path from this file (ARCHITECTURE.md §4).
 */
export function jobConfiguration(executionId: string, parameters: Parameters, withDatasets: boolean, options: { summaryPath?: string } = {}): JobConfiguration {
  return {
    input_directory: containerPaths.input,
    output_directory: containerPaths.output,
    measures_directory: containerPaths.measures,
    summary_measures_path: options.summaryPath ?? containerPaths.summary,
    parameters,
    ...(withDatasets ? { datasets_directory: containerPaths.datasets } : {}),
    execution_id: executionId,
  };
}

/** Docker labels on job containers and images (the worker finds its containers by them after a restart). */
export const labels = {
  execution: 'org.plz.execution-id',
  worker: 'org.plz.worker-id',
  snapshot: 'org.plz.snapshot',
} as const;

/**
 * Layout of the job images the worker builds, in their tag: 2 = the image carries the `/plz`
 * folders (services/worker image/skeleton.ts) and the configuration file is mounted at run time.
 * Images of layout 1 (tagged without the suffix) lack the folders: they are built again, and pruned
 * as any job image no longer used.
 */
export const jobImageLayout = 2;

/** Job image tag for a snapshot, `plz-job:<32 hex>-l<layout>`: the same snapshot reuses a cached image. */
export const jobImageTag = (snapshotSha256: string): string => `plz-job:${snapshotSha256.slice(0, 32)}-l${jobImageLayout}`;

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GpuDetails } from '@plz/contracts';
import { gpuDetailsFor, gpuQueryArguments, parseGpuQuery } from '../gpus.js';

const run = promisify(execFile);

/**
 * Model and memory of the worker's GPUs, read once at start from `nvidia-smi` (which the NVIDIA
 * Container Toolkit mounts into a container given GPUs; gpuDetailsFor maps its rows to the ids).
 *
 * @param deviceIds the worker's device ids (NVIDIA_VISIBLE_DEVICES); none: nothing is run.
 * @returns empty where nvidia-smi is absent, fails, takes over `timeoutMs` or does not account for
 *   every id: the details only inform `plz workers`, so their absence never stops the worker.
 */
export async function readGpuDetails(deviceIds: readonly string[], command = 'nvidia-smi', timeoutMs = 10_000): Promise<GpuDetails[]> {
  if (deviceIds.length === 0) return [];
  try {
    const { stdout } = await run(command, [...gpuQueryArguments], { timeout: timeoutMs, encoding: 'utf8' });
    return gpuDetailsFor(deviceIds, parseGpuQuery(stdout));
  } catch {
    return [];
  }
}

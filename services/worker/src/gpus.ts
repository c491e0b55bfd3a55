import { queueForGpus } from '@plz/contracts';

/** The GPUs a worker owns, read from its `NVIDIA_VISIBLE_DEVICES`, and the queue it consumes. */
export interface GpuAssignment {
  /** Device ids (indexes or `GPU-…` UUIDs) in the order given; empty for a CPU worker. */
  deviceIds: string[];
  queue: string;
}

/**
 * Parses `NVIDIA_VISIBLE_DEVICES` as the NVIDIA container toolkit defines it: a comma-separated
 * list of indexes or UUIDs; unset, empty, `void` or `none` means no GPU. `all` is refused, since a
 * worker must know exactly which GPUs it owns so that two workers never share one.
 *
 * @throws Error for `all`, duplicate ids, or ids that are neither indexes nor `GPU-`/`MIG-` UUIDs.
 */
export function gpuAssignment(visibleDevices: string | undefined): GpuAssignment {
  const value = (visibleDevices ?? '').trim();
  if (value === '' || value === 'void' || value === 'none') return { deviceIds: [], queue: queueForGpus(0) };
  if (value === 'all') {
    throw new Error('NVIDIA_VISIBLE_DEVICES=all: give each worker its device ids (for example 0 or 0,1), so no two workers share a GPU');
  }
  const deviceIds = value.split(',').map((id) => id.trim());
  for (const id of deviceIds) {
    if (!/^(\d+|GPU-[0-9a-fA-F-]+|MIG-[0-9a-zA-Z/-]+)$/.test(id)) {
      throw new Error(`NVIDIA_VISIBLE_DEVICES: "${id}" is not a GPU index or UUID`);
    }
  }
  if (new Set(deviceIds).size !== deviceIds.length) throw new Error(`NVIDIA_VISIBLE_DEVICES: duplicate device id in "${value}"`);
  return { deviceIds, queue: queueForGpus(deviceIds.length) };
}

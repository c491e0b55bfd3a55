import { queueForGpus, type GpuDetails } from '@plz/contracts';

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

/** One line of `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`. */
export interface GpuQueryRow {
  /** nvidia-smi's index, as this process sees the GPUs (inside a container: from 0, in PCI bus order). */
  index: string;
  name: string;
  memoryMib: number;
}

/** The nvidia-smi query the worker runs once at start (see parseGpuQuery). */
export const gpuQueryArguments = ['--query-gpu=index,name,memory.total', '--format=csv,noheader,nounits'] as const;

/**
 * Parses the output of `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`:
 * one line per GPU, `0, NVIDIA H200, 143771` (memory in MiB). Lines that do not read so (a
 * `[N/A]` memory, an error message) are left out.
 */
export function parseGpuQuery(output: string): GpuQueryRow[] {
  const rows: GpuQueryRow[] = [];
  for (const line of output.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 3) continue;
    const index = fields[0]!;
    const memory = fields[fields.length - 1]!;
    const name = fields.slice(1, -1).join(', ');
    if (!/^\d+$/.test(index) || !/^\d+$/.test(memory) || name === '') continue;
    rows.push({ index, name, memoryMib: Number(memory) });
  }
  return rows;
}

/**
 * The model and memory of each of the worker's GPUs (`deviceIds`, from NVIDIA_VISIBLE_DEVICES),
 * from the rows nvidia-smi printed where the worker runs:
 * - in its container, nvidia-smi sees only the worker's GPUs, numbered from 0 in PCI bus order, as
 *   the host numbers them too (nvidia-smi(1), "index"): the rows go, in that order, to the device
 *   ids sorted by number (UUIDs: in the order given);
 * - outside a container it sees every GPU of the host: the rows whose index is one of the ids.
 *
 * @returns one entry per device id, in the order of `deviceIds`; empty when the rows do not
 *   account for every one of them (nothing is better than a wrong model).
 */
export function gpuDetailsFor(deviceIds: readonly string[], rows: readonly GpuQueryRow[]): GpuDetails[] {
  if (deviceIds.length === 0) return [];
  const detail = (device: string, row: GpuQueryRow): GpuDetails => ({ device, name: row.name, memory_mib: row.memoryMib });
  if (rows.length === deviceIds.length) {
    const numeric = deviceIds.every((id) => /^\d+$/.test(id));
    const ordered = numeric ? [...deviceIds].sort((a, b) => Number(a) - Number(b)) : [...deviceIds];
    const sortedRows = [...rows].sort((a, b) => Number(a.index) - Number(b.index));
    const byDevice = new Map(ordered.map((id, position) => [id, sortedRows[position]!]));
    return deviceIds.map((id) => detail(id, byDevice.get(id)!));
  }
  const byIndex = new Map(rows.map((row) => [row.index, row]));
  if (rows.length < deviceIds.length || !deviceIds.every((id) => byIndex.has(id))) return [];
  return deviceIds.map((id) => detail(id, byIndex.get(id)!));
}

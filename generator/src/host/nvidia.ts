import { execFileSync } from 'node:child_process';

/**
 * The GPU indexes in `nvidia-smi -L` output, in its order: one line per GPU,
 * `GPU <index>: <name> (UUID: GPU-<uuid>)`; the indented `MIG ...` lines under a GPU partitioned
 * with MIG are not GPUs of their own and are skipped (nvidia-smi(1), "-L, --list-gpus").
 *
 * @returns indexes as strings (`['0', '1']`); empty for empty or unrelated output.
 */
export function parseNvidiaSmiList(output: string): string[] {
  const indexes: string[] = [];
  for (const line of output.split('\n')) {
    const match = /^GPU (\d+): /.exec(line);
    if (match && !indexes.includes(match[1]!)) indexes.push(match[1]!);
  }
  return indexes;
}

/**
 * The GPU indexes this host's NVIDIA driver lists (`nvidia-smi -L`, 10 s at most), or none where
 * nvidia-smi is absent or fails (no driver, no GPU, a driver that does not answer).
 */
export function listHostGpus(command = 'nvidia-smi'): string[] {
  try {
    return parseNvidiaSmiList(execFileSync(command, ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return [];
  }
}

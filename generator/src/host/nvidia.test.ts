import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listHostGpus, parseNvidiaSmiList } from './nvidia.js';

/** Recorded `nvidia-smi -L` outputs (driver 550-570): eight H200s, and an A100 partitioned with MIG next to a plain one. */
const h200 = Array.from({ length: 8 }, (_, i) => `GPU ${i}: NVIDIA H200 (UUID: GPU-${i}e1c2f7a-58d4-3b1e-9a2c-0f6b7d8e9a1${i})`).join('\n') + '\n';
const mig = [
  'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5a9e4f3c-2b1d-4e6f-8a7b-9c0d1e2f3a4b)',
  '  MIG 3g.20gb     Device  0: (UUID: MIG-0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e)',
  '  MIG 3g.20gb     Device  1: (UUID: MIG-1c2d3e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f)',
  'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6b0f5a4d-3c2e-5f7a-9b8c-0d1e2f3a4b5c)',
  '',
].join('\n');

describe('parseNvidiaSmiList', () => {
  it('reads one index per GPU line, in order', () => {
    expect(parseNvidiaSmiList(h200)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(parseNvidiaSmiList('GPU 0: NVIDIA H200 (UUID: GPU-3a5b0c1d-aaaa-bbbb-cccc-000000000000)\n')).toEqual(['0']);
  });

  it('counts a MIG-partitioned GPU once, not its MIG devices', () => {
    expect(parseNvidiaSmiList(mig)).toEqual(['0', '1']);
  });

  it('finds no GPU in an error message or empty output', () => {
    expect(parseNvidiaSmiList("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n")).toEqual([]);
    expect(parseNvidiaSmiList('No devices found.\n')).toEqual([]);
    expect(parseNvidiaSmiList('')).toEqual([]);
  });
});

describe('listHostGpus', () => {
  const fake = (script: string): { command: string; remove: () => void } => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plz-nvidia-smi-'));
    const command = path.join(directory, 'nvidia-smi');
    writeFileSync(command, `#!/bin/sh\n${script}\n`);
    chmodSync(command, 0o755);
    return { command, remove: () => rmSync(directory, { recursive: true, force: true }) };
  };

  it('lists what nvidia-smi -L prints', () => {
    const smi = fake(`[ "$1" = -L ] || exit 2\ncat <<'OUT'\n${mig}OUT`);
    try {
      expect(listHostGpus(smi.command)).toEqual(['0', '1']);
    } finally {
      smi.remove();
    }
  });

  it('lists none where nvidia-smi fails or is absent', () => {
    const smi = fake('echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." ; exit 9');
    try {
      expect(listHostGpus(smi.command)).toEqual([]);
    } finally {
      smi.remove();
    }
    expect(listHostGpus('/nonexistent/nvidia-smi')).toEqual([]);
  });
});

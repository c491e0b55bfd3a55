import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGpuDetails } from './adapters/nvidia.js';
import { gpuAssignment, gpuDetailsFor, parseGpuQuery } from './gpus.js';

describe('gpuAssignment', () => {
  it('maps a worker without GPUs to the cpu queue', () => {
    for (const value of [undefined, '', 'void', 'none']) expect(gpuAssignment(value)).toEqual({ deviceIds: [], queue: 'cpu' });
  });

  it('maps device ids to the queue of their count', () => {
    expect(gpuAssignment('3')).toEqual({ deviceIds: ['3'], queue: 'gpu' });
    expect(gpuAssignment('0, 1')).toEqual({ deviceIds: ['0', '1'], queue: 'gpu-x2' });
    expect(gpuAssignment('GPU-6f1b3a2c-1d2e-4f5a-9b8c-7d6e5f4a3b2c').queue).toBe('gpu');
  });

  it('refuses all, duplicates and junk', () => {
    expect(() => gpuAssignment('all')).toThrow('give each worker its device ids');
    expect(() => gpuAssignment('0,0')).toThrow('duplicate');
    expect(() => gpuAssignment('0;1')).toThrow('not a GPU index');
  });
});

/** Recorded `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits` outputs. */
const hostOfFour = 'GPU-less line\n0, NVIDIA H200, 143771\n1, NVIDIA H200, 143771\n2, NVIDIA A100-SXM4-80GB, 81920\n3, NVIDIA A100-SXM4-80GB, 81920\n';
const containerOfTwo = '0, NVIDIA A100-SXM4-80GB, 81920\n1, NVIDIA A100-SXM4-80GB, 81920\n';

describe('parseGpuQuery', () => {
  it('reads index, model and memory (MiB) per line', () => {
    expect(parseGpuQuery('0, NVIDIA H200, 143771\n')).toEqual([{ index: '0', name: 'NVIDIA H200', memoryMib: 143771 }]);
    expect(parseGpuQuery(hostOfFour).map((row) => row.name)).toEqual(['NVIDIA H200', 'NVIDIA H200', 'NVIDIA A100-SXM4-80GB', 'NVIDIA A100-SXM4-80GB']);
  });

  it('leaves out what is not a GPU line', () => {
    expect(parseGpuQuery("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n")).toEqual([]);
    expect(parseGpuQuery('0, NVIDIA H200, [N/A]\n\n')).toEqual([]);
  });
});

describe('gpuDetailsFor', () => {
  it('maps the GPUs seen in the container (numbered from 0) to the ids given, in number order', () => {
    expect(gpuDetailsFor(['3', '2'], parseGpuQuery(containerOfTwo))).toEqual([
      { device: '3', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 },
      { device: '2', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 },
    ]);
    expect(gpuDetailsFor(['1'], parseGpuQuery('0, NVIDIA H200, 143771\n'))).toEqual([{ device: '1', name: 'NVIDIA H200', memory_mib: 143771 }]);
  });

  it("picks the worker's GPUs by index where every GPU of the host is seen", () => {
    expect(gpuDetailsFor(['0', '2'], parseGpuQuery(hostOfFour))).toEqual([
      { device: '0', name: 'NVIDIA H200', memory_mib: 143771 },
      { device: '2', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 },
    ]);
  });

  it('gives nothing rather than a guess', () => {
    expect(gpuDetailsFor([], parseGpuQuery(hostOfFour))).toEqual([]);
    expect(gpuDetailsFor(['0', '1', '2'], parseGpuQuery(containerOfTwo))).toEqual([]);
    expect(gpuDetailsFor(['5'], parseGpuQuery(hostOfFour))).toEqual([]);
  });
});

describe('readGpuDetails', () => {
  const fake = (script: string): { command: string; remove: () => void } => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plz-worker-nvidia-smi-'));
    const command = path.join(directory, 'nvidia-smi');
    writeFileSync(command, `#!/bin/sh\n${script}\n`);
    chmodSync(command, 0o755);
    return { command, remove: () => rmSync(directory, { recursive: true, force: true }) };
  };

  it('runs the query once and maps it', async () => {
    const smi = fake(`[ "$1" = --query-gpu=index,name,memory.total ] && [ "$2" = --format=csv,noheader,nounits ] || exit 2\nprintf '${containerOfTwo.replaceAll('\n', '\\n')}'`);
    try {
      expect(await readGpuDetails(['0', '1'], smi.command)).toEqual([
        { device: '0', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 },
        { device: '1', name: 'NVIDIA A100-SXM4-80GB', memory_mib: 81920 },
      ]);
    } finally {
      smi.remove();
    }
  });

  it('gives nothing where nvidia-smi is absent or fails, and runs nothing for a CPU worker', async () => {
    const smi = fake('echo "No devices were found"; exit 6');
    try {
      expect(await readGpuDetails(['0'], smi.command)).toEqual([]);
    } finally {
      smi.remove();
    }
    expect(await readGpuDetails(['0'], '/nonexistent/nvidia-smi')).toEqual([]);
    expect(await readGpuDetails([], '/nonexistent/nvidia-smi')).toEqual([]);
  });
});

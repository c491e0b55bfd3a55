import { describe, expect, it } from '@jest/globals';
import { labels } from '@plz/contracts';
import { containerSpec, type ContainerSpecInput } from './spec.js';

const base: ContainerSpecInput = {
  executionId: '0b6a4c36-3f4e-4f51-9a0e-2d7f4c1e8a11',
  workerId: 'worker-gpu-0',
  snapshot: 'a'.repeat(64),
  image: 'plz-job:aaaa',
  deviceIds: [],
  resources: { gpus: 0 },
  limits: { memoryBytes: 8 * 1024 ** 3, cpus: 4, shmBytes: 2 * 1024 ** 3, pidsLimit: 4096, maxRunSeconds: 3600 },
  network: 'plz-jobs',
  stopGraceSeconds: 30,
};

describe('containerSpec', () => {
  it('gives a GPU worker exactly its device ids, never a Count', () => {
    const spec = containerSpec({ ...base, deviceIds: ['2', '3'], resources: { gpus: 2 } });
    expect(spec.HostConfig.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['2', '3'], Capabilities: [['gpu']] }]);
    expect(spec.HostConfig.DeviceRequests![0]).not.toHaveProperty('Count');
  });

  it('gives a CPU worker no device request', () => {
    const spec = containerSpec(base);
    expect(spec.HostConfig).not.toHaveProperty('DeviceRequests');
  });

  it('pins NVIDIA_VISIBLE_DEVICES to exactly the job\'s devices, void for a CPU job', () => {
    const gpu = containerSpec({ ...base, deviceIds: ['2', 'GPU-3f1c'], resources: { gpus: 2 } });
    expect(gpu.Env.filter((entry) => entry.startsWith('NVIDIA_VISIBLE_DEVICES='))).toEqual(['NVIDIA_VISIBLE_DEVICES=2,GPU-3f1c']);
    const cpu = containerSpec(base);
    expect(cpu.Env.filter((entry) => entry.startsWith('NVIDIA_VISIBLE_DEVICES='))).toEqual(['NVIDIA_VISIBLE_DEVICES=void']);
  });

  it('refuses a GPU count that differs from the worker\'s', () => {
    expect(() => containerSpec({ ...base, deviceIds: ['0'], resources: { gpus: 2 } })).toThrow('wrong queue');
    expect(() => containerSpec({ ...base, resources: { gpus: 1 } })).toThrow('owns 0');
  });

  it('always sets the limits: CPUs as NanoCpus, memory without swap, shm, PIDs, and the run time as a label', () => {
    const spec = containerSpec({ ...base, limits: { memoryBytes: 64 * 1024 ** 2, cpus: 1.5, shmBytes: 32 * 1024 ** 2, pidsLimit: 64, maxRunSeconds: 20 } });
    expect(spec.HostConfig).toMatchObject({ NanoCpus: 1_500_000_000, Memory: 64 * 1024 ** 2, MemorySwap: 64 * 1024 ** 2, ShmSize: 32 * 1024 ** 2, PidsLimit: 64 });
    expect(spec.Labels['org.plz.max-run-seconds']).toBe('20');
  });

  it('mounts the datasets read-only: a bind for a path, a volume for a name, nothing when unset', () => {
    expect(containerSpec({ ...base, datasetsSource: '/srv/datasets' }).HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/datasets', Target: '/datasets', ReadOnly: true },
    ]);
    expect(containerSpec({ ...base, datasetsSource: 'plz-datasets' }).HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'plz-datasets', Target: '/datasets', ReadOnly: true },
    ]);
    expect(containerSpec(base).HostConfig).not.toHaveProperty('Mounts');
  });

  it('mounts a cached input read-only at /plz/input: only its own folder, next to the datasets', () => {
    const inputSource = '/var/lib/docker/volumes/plz-input-cache-cpu-0/_data/inputs/' + 'a'.repeat(64) + '/data';
    expect(containerSpec({ ...base, inputSource }).HostConfig.Mounts).toEqual([{ Type: 'bind', Source: inputSource, Target: '/plz/input', ReadOnly: true }]);
    expect(containerSpec({ ...base, datasetsSource: '/srv/datasets', inputSource }).HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/datasets', Target: '/datasets', ReadOnly: true },
      { Type: 'bind', Source: inputSource, Target: '/plz/input', ReadOnly: true },
    ]);
    expect(() => containerSpec({ ...base, inputSource: 'relative/data' })).toThrow('must be absolute');
  });

  it('mounts the configuration file read-only at /plz/configuration.json: that one file', () => {
    const configurationSource = '/var/lib/docker/volumes/plz-input-cache/_data/cpu-0/configurations/0b9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f.json';
    expect(containerSpec({ ...base, configurationSource }).HostConfig.Mounts).toEqual([{ Type: 'bind', Source: configurationSource, Target: '/plz/configuration.json', ReadOnly: true }]);
    expect(() => containerSpec({ ...base, configurationSource: 'configurations/x.json' })).toThrow('must be absolute');
  });

  it("mounts the execution's output, measures and summary folders read-write under /plz, beside the input and the configuration file", () => {
    const cache = '/var/lib/docker/volumes/plz-input-cache/_data/cpu-0';
    const plzFolderSource = `${cache}/plz/0b9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f`;
    const configurationSource = `${cache}/configurations/0b9c8f6e-1d2a-4c3b-8e7f-5a6b7c8d9e0f.json`;
    const inputSource = `${cache}/inputs/${'a'.repeat(64)}/data`;
    expect(containerSpec({ ...base, plzFolderSource, configurationSource, inputSource }).HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: `${plzFolderSource}/output`, Target: '/plz/output', ReadOnly: false },
      { Type: 'bind', Source: `${plzFolderSource}/measures`, Target: '/plz/measures', ReadOnly: false },
      { Type: 'bind', Source: `${plzFolderSource}/summary`, Target: '/plz/summary', ReadOnly: false },
      { Type: 'bind', Source: inputSource, Target: '/plz/input', ReadOnly: true },
      { Type: 'bind', Source: configurationSource, Target: '/plz/configuration.json', ReadOnly: true },
    ]);
    expect(() => containerSpec({ ...base, plzFolderSource: 'plz/x' })).toThrow('must be absolute');
  });

  it('labels the container with the execution, the worker and the snapshot, and names it after the execution', () => {
    const spec = containerSpec({ ...base, extraLabels: { 'org.plz.test': 'x', [labels.worker]: 'spoofed' } });
    expect(spec.Labels).toEqual({
      'org.plz.test': 'x',
      [labels.execution]: base.executionId,
      [labels.worker]: 'worker-gpu-0',
      [labels.snapshot]: base.snapshot,
      'org.plz.max-run-seconds': '3600',
    });
    expect(spec.name).toBe(`plz-job-${base.executionId}`);
  });

  it('grants no privileges and keeps the job on the jobs network', () => {
    const spec = containerSpec(base);
    expect(spec.HostConfig).toMatchObject({ Privileged: false, NetworkMode: 'plz-jobs', Init: true, SecurityOpt: ['no-new-privileges:true'] });
    expect(spec.HostConfig.CapDrop).toEqual(expect.arrayContaining(['NET_RAW', 'MKNOD']));
    expect(JSON.stringify(spec)).not.toContain('docker.sock');
    expect(spec.Env).toContain('CONFIGURATION_FILE=/plz/configuration.json');
    expect(spec.Tty).toBe(false);
  });
});

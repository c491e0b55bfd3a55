import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from './config.js';

const valid = {
  WORKER_ID: 'worker-gpu-0',
  DATABASE_URL: 'postgres://worker@db:5432/restapi',
  REDIS_URL: 'redis://redis:6379',
  S3_ENDPOINT: 'http://minio:9000',
  S3_ACCESS_KEY_ID: 'worker',
  S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
  MLFLOW_URL: 'http://mlflow:5000',
  JOBS_NETWORK: 'plz-jobs',
};

describe('loadConfig', () => {
  it('applies defaults, derives the queue from the GPUs and freezes the result', () => {
    const config = loadConfig({ ...valid, NVIDIA_VISIBLE_DEVICES: '0,1', DATASETS_SOURCE: '', EXTRA_CA_CERTIFICATES_DIR: '' });
    expect(config).toMatchObject({ S3_REGION: 'us-east-1', HEARTBEAT_FILE: '/tmp/plz-worker-heartbeat', LOG_LEVEL: 'info', MLFLOW_LOG_CONCURRENCY: 2, gpus: { deviceIds: ['0', '1'], queue: 'gpu-x2' } });
    expect(config.DATASETS_SOURCE).toBeUndefined();
    expect(config.EXTRA_CA_CERTIFICATES_DIR).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(loadConfig(valid).gpus).toEqual({ deviceIds: [], queue: 'cpu' });
  });

  it('takes a datasets path or volume name and a Docker host', () => {
    expect(loadConfig({ ...valid, DATASETS_SOURCE: '/srv/data', DOCKER_HOST: 'tcp://docker:2375' })).toMatchObject({ DATASETS_SOURCE: '/srv/data', DOCKER_HOST: 'tcp://docker:2375' });
    expect(loadConfig({ ...valid, DATASETS_SOURCE: 'plz-datasets' }).DATASETS_SOURCE).toBe('plz-datasets');
    expect(() => loadConfig({ ...valid, DATASETS_SOURCE: 'relative/path' })).toThrow('DATASETS_SOURCE');
    expect(() => loadConfig({ ...valid, DOCKER_HOST: 'docker.sock' })).toThrow('DOCKER_HOST');
  });

  it('connects as today without CONTROLLER_CA_FILE, and takes MLflow credentials in pairs only', () => {
    expect(loadConfig(valid).controllerCa).toBeUndefined();
    expect(loadConfig({ ...valid, MLFLOW_TRACKING_USERNAME: 'plz-host-h1', MLFLOW_TRACKING_PASSWORD: 'pw' })).toMatchObject({ MLFLOW_TRACKING_USERNAME: 'plz-host-h1', MLFLOW_TRACKING_PASSWORD: 'pw' });
    expect(() => loadConfig({ ...valid, MLFLOW_TRACKING_USERNAME: 'plz-host-h1' })).toThrow('give both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD');
  });

  it('on a worker host (CONTROLLER_CA_FILE), reads the CA and insists on verified TLS for every connection', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plz-worker-ca-'));
    try {
      const ca = path.join(directory, 'ca.crt');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const remote = {
        ...valid,
        CONTROLLER_CA_FILE: ca,
        NODE_EXTRA_CA_CERTS: ca,
        REDIS_URL: 'rediss://plz-host-h1:pw@controller:6380/0',
        DATABASE_URL: 'postgres://plz-host-h1:pw@controller:5432/restapi?sslmode=verify-full',
        S3_ENDPOINT: 'https://controller:9443',
        MLFLOW_URL: 'https://controller:5443/mlflow',
      };
      expect(loadConfig(remote).controllerCa).toContain('BEGIN CERTIFICATE');
      const problems = (() => {
        try {
          loadConfig({ ...remote, REDIS_URL: 'redis://controller:6379', DATABASE_URL: 'postgres://w@controller/restapi?sslmode=require', S3_ENDPOINT: 'http://controller:9000', MLFLOW_URL: 'http://controller/mlflow', NODE_EXTRA_CA_CERTS: '' });
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      for (const name of ['REDIS_URL', 'DATABASE_URL', 'S3_ENDPOINT', 'MLFLOW_URL', 'NODE_EXTRA_CA_CERTS']) expect(problems).toContain(`${name}: with CONTROLLER_CA_FILE`);
      expect(() => loadConfig({ ...remote, CONTROLLER_CA_FILE: path.join(directory, 'missing.crt'), NODE_EXTRA_CA_CERTS: path.join(directory, 'missing.crt') })).toThrow('CONTROLLER_CA_FILE: cannot read');
      writeFileSync(ca, 'not a certificate');
      expect(() => loadConfig(remote)).toThrow('holds no PEM certificate');
      expect(() => loadConfig({ ...remote, CONTROLLER_CA_FILE: 'ca.crt' })).toThrow('CONTROLLER_CA_FILE');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('takes the input cache folder (absolute, normalised, not /) and its cap in GiB, 20 by default; unset means no cache', () => {
    expect(loadConfig(valid).INPUT_CACHE_DIR).toBeUndefined();
    expect(loadConfig(valid).INPUT_CACHE_GIB).toBe(20);
    expect(loadConfig({ ...valid, INPUT_CACHE_DIR: '/var/cache/plz/worker-cpu-0', INPUT_CACHE_GIB: '2.5' })).toMatchObject({ INPUT_CACHE_DIR: '/var/cache/plz/worker-cpu-0', INPUT_CACHE_GIB: 2.5 });
    expect(loadConfig({ ...valid, INPUT_CACHE_DIR: '' }).INPUT_CACHE_DIR).toBeUndefined();
    for (const bad of ['cache', '/', '/var/cache/../tmp', '/var/cache/']) expect(() => loadConfig({ ...valid, INPUT_CACHE_DIR: bad })).toThrow('INPUT_CACHE_DIR');
    expect(() => loadConfig({ ...valid, INPUT_CACHE_GIB: '-1' })).toThrow('INPUT_CACHE_GIB');
  });

  it('reads the MLflow log-batch concurrency as an integer from 1 to 16', () => {
    expect(loadConfig({ ...valid, MLFLOW_LOG_CONCURRENCY: '4' }).MLFLOW_LOG_CONCURRENCY).toBe(4);
    for (const bad of ['0', '17', '1.5', 'two']) expect(() => loadConfig({ ...valid, MLFLOW_LOG_CONCURRENCY: bad })).toThrow('MLFLOW_LOG_CONCURRENCY');
  });

  it('reads the job limits with defaults, in Docker sizes, and refuses a default over its maximum', () => {
    expect(loadConfig(valid)).toMatchObject({ JOB_MEMORY_DEFAULT: 8 * 1024 ** 3, JOB_MEMORY_MAX: 64 * 1024 ** 3, JOB_CPUS_DEFAULT: 4, JOB_CPUS_MAX: 32, JOB_SHM_SIZE_DEFAULT: 2 * 1024 ** 3, JOB_PIDS_LIMIT: 4096, JOB_IMAGE_CACHE_GIB: 50, JOB_LOG_MAX_BYTES: 1024 ** 3, JOB_OUTPUT_MAX_BYTES: 20 * 1024 ** 3, JOB_MEASURES_MAX_BYTES: 100 * 1024 ** 2 });
    expect(loadConfig({ ...valid, JOB_MEMORY_DEFAULT: '512m', JOB_CPUS_MAX: '', JOB_PIDS_LIMIT: '64', JOB_MAX_RUN_SECONDS_DEFAULT: '60', JOB_IMAGE_CACHE_GIB: '0' })).toMatchObject({ JOB_IMAGE_CACHE_GIB: 0, JOB_MEMORY_DEFAULT: 512 * 1024 ** 2, JOB_CPUS_MAX: 32, JOB_PIDS_LIMIT: 64, JOB_MAX_RUN_SECONDS_DEFAULT: 60 });
    expect(() => loadConfig({ ...valid, JOB_MEMORY_DEFAULT: '128g' })).toThrow('JOB_MEMORY_DEFAULT: 137438953472 is more than JOB_MEMORY_MAX');
    expect(() => loadConfig({ ...valid, JOB_PIDS_LIMIT: 'lots', JOB_CPUS_DEFAULT: '-1' })).toThrow(/JOB_CPUS_DEFAULT[\s\S]*JOB_PIDS_LIMIT/);
  });

  it('reads WEB_URL as the origin of an http(s) URL, unset when empty, refusing paths, queries, fragments and credentials', () => {
    expect(loadConfig(valid).WEB_URL).toBeUndefined();
    expect(loadConfig({ ...valid, WEB_URL: '' }).WEB_URL).toBeUndefined();
    expect(loadConfig({ ...valid, WEB_URL: 'https://gpu-box.example:8443' }).WEB_URL).toBe('https://gpu-box.example:8443');
    expect(loadConfig({ ...valid, WEB_URL: 'https://gpu-box.example:8443/' }).WEB_URL).toBe('https://gpu-box.example:8443');
    expect(loadConfig({ ...valid, WEB_URL: 'HTTP://LocalHost:80' }).WEB_URL).toBe('http://localhost');
    expect(loadConfig({ ...valid, WEB_URL: 'https://[::1]:8443' }).WEB_URL).toBe('https://[::1]:8443');
    for (const bad of ['gpu-box.example', 'ftp://gpu-box.example', 'https://gpu-box.example/plz', 'https://gpu-box.example/?x=1', 'https://gpu-box.example/?', 'https://gpu-box.example#top', 'https://admin:secret@gpu-box.example', 'javascript:alert(1)']) {
      expect(() => loadConfig({ ...valid, WEB_URL: bad })).toThrow(/WEB_URL: expected .*e\.g\. https:\/\/gpu-box\.example:8443/);
    }
  });

  it('lists every problem at once, NVIDIA_VISIBLE_DEVICES=all included', () => {
    expect(() => loadConfig({ NVIDIA_VISIBLE_DEVICES: 'all' })).toThrow(/WORKER_ID[\s\S]*DATABASE_URL[\s\S]*JOBS_NETWORK[\s\S]*NVIDIA_VISIBLE_DEVICES=all/);
  });
});

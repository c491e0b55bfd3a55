import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './config.js';

const valid = {
  DATABASE_URL: 'postgres://restapi@db:5432/restapi',
  REDIS_URL: 'redis://redis:6379',
  S3_ENDPOINT: 'http://minio:9000',
  S3_ACCESS_KEY_ID: 'restapi',
  S3_SECRET_ACCESS_KEY: 'not-a-real-secret',
};

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(valid);
    expect(config.PORT).toBe(8080);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists every problem at once', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT[\s\S]*DATABASE_URL[\s\S]*REDIS_URL/);
  });
});

describe('loadConfig sizes and optional settings', () => {
  it('reads sizes with units, and treats empty values as unset', () => {
    const config = loadConfig({ ...valid, MAX_SNAPSHOT_BYTES: '512m', MAX_INPUT_BYTES: '2g', MLFLOW_URL: '', BOOTSTRAP_ADMIN_TOKEN_FILE: '' });
    expect(config.MAX_SNAPSHOT_BYTES).toBe(512 * 1024 ** 2);
    expect(config.MAX_INPUT_BYTES).toBe(2 * 1024 ** 3);
    expect(config.MLFLOW_URL).toBeUndefined();
    expect(config.BOOTSTRAP_ADMIN_TOKEN_FILE).toBeUndefined();
    expect(loadConfig(valid).MAX_SNAPSHOT_BYTES).toBe(1024 ** 3);
  });

  it('refuses sizes it cannot read', () => {
    expect(() => loadConfig({ ...valid, MAX_INPUT_BYTES: 'lots' })).toThrow(/MAX_INPUT_BYTES/);
    expect(() => loadConfig({ ...valid, MAX_INPUT_BYTES: '0' })).toThrow(/MAX_INPUT_BYTES/);
  });
});

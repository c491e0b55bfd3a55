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

describe('loadConfig identity settings', () => {
  it('reads the session lifetime with units (12 h by default) and the auth cache window (5 s by default)', () => {
    expect(loadConfig(valid)).toMatchObject({ SESSION_TTL: 12 * 3_600_000, AUTH_CACHE_SECONDS: 5 });
    expect(loadConfig({ ...valid, SESSION_TTL: '30m', AUTH_CACHE_SECONDS: '0' })).toMatchObject({ SESSION_TTL: 1_800_000, AUTH_CACHE_SECONDS: 0 });
    expect(loadConfig({ ...valid, SESSION_TTL: '7d' }).SESSION_TTL).toBe(7 * 86_400_000);
    expect(loadConfig({ ...valid, SESSION_TTL: '3600' }).SESSION_TTL).toBe(3_600_000);
  });

  it('refuses a lifetime or cache window it cannot read', () => {
    expect(() => loadConfig({ ...valid, SESSION_TTL: '12 hours' })).toThrow(/SESSION_TTL: expected a duration/);
    expect(() => loadConfig({ ...valid, SESSION_TTL: '0' })).toThrow(/SESSION_TTL/);
    expect(() => loadConfig({ ...valid, AUTH_CACHE_SECONDS: '600' })).toThrow(/AUTH_CACHE_SECONDS/);
  });
});

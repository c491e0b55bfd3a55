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

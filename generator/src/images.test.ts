import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { plzImage, upstreamImages } from './images.js';
import { packageRoot } from './paths.js';

describe('images', () => {
  it('pins the upstream tags of tools/versions.env', () => {
    const versions = Object.fromEntries(
      readFileSync(path.join(packageRoot, '..', 'tools', 'versions.env'), 'utf8')
        .split('\n')
        .filter((line) => /^IMAGE_[A-Z]+=/.test(line))
        .map((line) => line.split('=', 2) as [string, string]),
    );
    expect(upstreamImages).toEqual({
      postgres: versions['IMAGE_POSTGRES'],
      redis: versions['IMAGE_REDIS'],
      nginx: versions['IMAGE_NGINX'],
      minio: versions['IMAGE_MINIO'],
      mc: versions['IMAGE_MC'],
    });
  });

  it('names plz images with or without a registry', () => {
    expect(plzImage('worker', '', 'dev')).toBe('plz-worker:dev');
    expect(plzImage('restapi', 'ghcr.io/acme/', '1.0.0')).toBe('ghcr.io/acme/plz-restapi:1.0.0');
  });
});

import { describe, expect, it } from '@jest/globals';
import type { ResolvedConfig } from '../../config/schema.js';
import { executionSpec } from './submit.js';

const config = {
  url: 'http://plz.example',
  project: 'digits',
  image: 'python:3.11-slim-bookworm',
  image_extensions: [],
  excluded_paths: [],
  included_paths: [],
  exclude_gitignored_files: true,
  context_path: '/work',
  resources: { gpus: 0 },
  quiet_build: false,
  debug: false,
} satisfies ResolvedConfig;
const prepared = { snapshot: 'a'.repeat(64), input: null };

describe('executionSpec priority', () => {
  it('takes the flag over the configuration, and leaves it out when neither sets it', () => {
    expect(executionSpec({ ...config, priority: 'low' }, prepared, {}, { priority: 'high' }).priority).toBe('high');
    expect(executionSpec({ ...config, priority: 'low' }, prepared, {}).priority).toBe('low');
    expect(executionSpec(config, prepared, {})).not.toHaveProperty('priority');
  });
});

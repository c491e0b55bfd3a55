import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compose } from '../testing/docker.js';
import { render, type Rendered } from '../testing/deployment.js';

/**
 * The examples of docker-compose.override.yml.template, each uncommented as the template tells
 * (remove "# " from its lines; "##" lines are explanations), by title.
 */
export function overrideExamples(template: string): Map<string, string> {
  const examples = new Map<string, string>();
  let title: string | undefined;
  for (const line of template.split('\n')) {
    const heading = /^## --- Example: (.+?) -+$/.exec(line);
    if (heading?.[1]) {
      title = heading[1];
      examples.set(title, '');
    } else if (title && line.startsWith('# ')) {
      examples.set(title, `${examples.get(title) ?? ''}${line.slice(2)}\n`);
    }
  }
  return examples;
}

describe.each([
  ['a CPU-only deployment', {}],
  ['a GPU deployment', { gpus: '0,1', 'cpu-workers': '1' }],
])('docker-compose.override.yml.template of %s', (_, options) => {
  let deployment: Rendered;
  beforeAll(async () => {
    deployment = await render(options);
  }, 120_000);
  afterAll(() => deployment.remove());

  it('has the six examples', () => {
    expect([...overrideExamples(deployment.read('docker-compose.override.yml.template')).keys()]).toEqual([
      'a read-only host folder as the jobs\' datasets',
      'datasets on an NFS share',
      'one more worker with two GPUs',
      'one worker with every GPU',
      'CPU pinning and limits',
      'a custom container',
    ]);
  });

  it('has examples that compose accepts once uncommented', async () => {
    const override = path.join(deployment.directory, 'docker-compose.override.yml');
    try {
      for (const [title, example] of overrideExamples(deployment.read('docker-compose.override.yml.template'))) {
        writeFileSync(override, example);
        const config = await compose(deployment.directory, ['config', '--format', 'json']).catch((error: Error) => ({ stdout: '', stderr: error.message }));
        expect([title, config.stderr.includes('failed') ? config.stderr : 'ok']).toEqual([title, 'ok']);
        expect(config.stdout.length).toBeGreaterThan(0);
      }
    } finally {
      rmSync(override, { force: true });
    }
  }, 120_000);
});

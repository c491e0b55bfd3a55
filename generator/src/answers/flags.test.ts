import { describe, expect, it } from '@jest/globals';
import { closestFlag, refuseUnknownOptions, unknownOptions } from './flags.js';
import { questions } from './questions.js';

const declared = [...questions.map((question) => question.flag), 'host-memory', 'host-cpus', 'host-gpus', 'skip-prompts', 'copy-host-ca-certificates', 'host-ca-certificates', 'help', 'skip-cache', 'skip-install'];

describe('unknown options', () => {
  it('are found among the keys yo hands over, in either spelling, internal keys aside', () => {
    // The keys `yo plz-deploy --gpu-hosts x --gpus 0,1 --cpu-workers 2 --force --skip-prompts` gave (yo 7.0.1, yeoman-environment 7).
    const keys = ['sharedData', 'forwardErrorToEnvironment', 'skipLocalCache', 'gpuHosts', 'gpus', 'cpuWorkers', 'force', 'skipPrompts', 'gpu-hosts', 'cpu-workers', 'skip-prompts', 'resolved', 'namespace', '_meta', '_', 'skip-cache', 'skip-install', 'force-install', 'ask-answered'];
    expect(unknownOptions(keys, declared)).toEqual([{ flag: 'gpu-hosts', closest: 'host-gpus' }]);
    expect(unknownOptions(['gpus', 'dryRun', 'env', 'namespaceId'], declared)).toEqual([]);
  });

  it('come with the closest known flag', () => {
    expect(closestFlag('gpu', declared)).toBe('gpus');
    expect(closestFlag('cpu-worker', declared)).toBe('cpu-workers');
    expect(closestFlag('skip-prompt', declared)).toBe('skip-prompts');
    expect(closestFlag('servername', declared)).toBe('server-name');
    expect(closestFlag('job-memory', declared)).toBe('job-memory-max');
  });

  it('stop the generator with every one named', () => {
    expect(() => refuseUnknownOptions(['gpu', 'workerHost', 'cpus'], declared)).toThrow(
      'unknown options: nothing was written\n  --gpu (did you mean --gpus?)\n  --worker-host (did you mean --worker-hosts?)\n  --cpus (did you mean --host-cpus?)\n`yo plz-deploy --help` lists every option.',
    );
    expect(() => refuseUnknownOptions(['gpus', 'force'], declared)).not.toThrow();
  });
});

import { describe, expect, it } from '@jest/globals';
import { AnswersError, defaultAnswers, parseAnswers } from './schema.js';
import { baseAnswers, flagAnswers, hostOptions, promptQuestions, storedAnswers } from './resolve.js';

const GiB = 1024 ** 3;
const bigHost = { memoryBytes: 256 * GiB, cpus: 64, gpus: [] };

describe('answers', () => {
  it('default to a one-host deployment with one CPU worker, images built locally', () => {
    const answers = parseAnswers(defaultAnswers());
    expect(answers).toMatchObject({ name: 'plz', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, https: false, allowPlainHttp: false, gpus: 'none', cpuWorkers: 1, imageRegistry: '', imageTag: 'dev' });
  });

  it('take flags over stored answers over defaults, and the tag follows the registry', () => {
    const stored = storedAnswers({ name: 'lab', cpuWorkers: 3, unknown: 'dropped' });
    const flags = flagAnswers({ 'cpu-workers': '2', 'image-registry': 'ghcr.io/acme', https: true }, '/');
    const answers = parseAnswers(baseAnswers(stored, flags));
    expect(answers).toMatchObject({ name: 'lab', cpuWorkers: 2, imageRegistry: 'ghcr.io/acme', https: true });
    expect(answers.imageTag).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(stored)).not.toContain('unknown');
  });

  it('normalise GPU groups, mounts and relative paths', () => {
    const flags = flagAnswers({ gpus: ' 0 + 1 , 2 ', 'datasets-directory': '.', 'systemd-mounts': '/a,/b  /c' }, '/tmp');
    const answers = parseAnswers(baseAnswers({}, flags));
    expect(answers.gpus).toBe('0+1,2');
    expect(answers.datasetsDirectory).toBe('/tmp');
    expect(answers.systemdMounts).toBe('/a /b /c');
  });

  it('refuse every bad flag at once, each with its message', () => {
    const attempt = (): unknown => flagAnswers({ gpus: '0,0', 'http-port': 'eighty', 'datasets-directory': '/no/such/folder', name: '9lives' }, '/');
    expect(attempt).toThrow(AnswersError);
    try {
      attempt();
    } catch (error) {
      expect((error as AnswersError).problems).toEqual([
        expect.stringMatching(/deployment name "9lives" is not usable/),
        expect.stringMatching(/HTTP port "eighty" is not a port number/),
        expect.stringMatching(/GPU 0 is given twice/),
        expect.stringMatching(/datasets folder "\/no\/such\/folder" does not exist/),
      ]);
    }
  });

  it('refuse clashing ports and a deployment without workers', () => {
    expect(() => parseAnswers({ ...defaultAnswers(), httpPort: 8080, httpsPort: '8080' })).toThrow(/ports clash: both are 8080/);
    expect(() => parseAnswers({ ...defaultAnswers(), gpus: 'none', cpuWorkers: 0 })).toThrow(/no worker/);
  });

  it('refuse plain HTTP on a network address unless HTTPS is on or plain HTTP is allowed', () => {
    expect(() => parseAnswers({ ...defaultAnswers(), bindAddress: '0.0.0.0' })).toThrow(/clear text[\s\S]*--allow-plain-http/);
    expect(parseAnswers({ ...defaultAnswers(), bindAddress: '0.0.0.0', https: 'true' }).https).toBe(true);
    const allowed = parseAnswers(baseAnswers({}, flagAnswers({ 'bind-address': '10.0.0.5', 'allow-plain-http': true }, '/')));
    expect(allowed).toMatchObject({ bindAddress: '10.0.0.5', https: false, allowPlainHttp: true });
    expect(parseAnswers(baseAnswers(storedAnswers({ bindAddress: '0.0.0.0', allowPlainHttp: true }), {})).allowPlainHttp).toBe(true);
  });

  it('ask whether plain HTTP is allowed only for a network address without HTTPS', () => {
    const question = promptQuestions(baseAnswers({}, {}), {}, false, '/').find((prompt) => prompt.name === 'allowPlainHttp');
    const when = question?.type === 'confirm' ? question.when : undefined;
    expect(when).toBeDefined();
    expect(when?.({ bindAddress: '127.0.0.1', https: false })).toBe(false);
    expect(when?.({ bindAddress: '0.0.0.0', https: true })).toBe(false);
    expect(when?.({ bindAddress: '0.0.0.0', https: false })).toBe(true);
    expect(when?.({})).toBe(false);
  });

  it('ask only what no flag answered, nothing with --skip-prompts', () => {
    const flags = flagAnswers({ 'http-port': '8080' }, '/');
    const base = baseAnswers({}, flags);
    const asked = promptQuestions(base, flags, false, '/').map((question) => question.name);
    expect(asked).not.toContain('httpPort');
    expect(asked).toContain('httpsPort');
    expect(promptQuestions(base, flags, true, '/')).toEqual([]);
    const https = promptQuestions(base, flags, false, '/').find((question) => question.name === 'httpsPort');
    expect(https?.type === 'input' && https.validate('8080', { httpPort: '8080' })).toMatch(/ports clash/);
  });

  it('derive the job limits from the host for the workers answered, stored and flagged limits first', () => {
    expect(baseAnswers({}, flagAnswers({ 'cpu-workers': '8' }, '/'), bigHost)).toMatchObject({ jobMemoryMax: '24g', jobCpusMax: 8, jobCpusDefault: 4 });
    expect(baseAnswers({}, flagAnswers({ gpus: '0,1', 'cpu-workers': '0' }, '/'), bigHost)).toMatchObject({ jobMemoryMax: '96g', jobCpusMax: 32 });
    const stored = storedAnswers({ jobMemoryMax: '40g', cpuWorkers: 8 });
    const answers = parseAnswers(baseAnswers(stored, flagAnswers({ 'job-cpus-max': '6', 'job-memory-default': '16G' }, '/'), bigHost));
    expect(answers).toMatchObject({ jobMemoryMax: '40g', jobMemoryDefault: '16g', jobCpusMax: 6, jobCpusDefault: 4 });
  });

  it('refuse a default above its maximum, and shm above the default memory, naming the flags', () => {
    const refused = (flags: Record<string, string>): string[] => {
      try {
        parseAnswers(baseAnswers({}, flagAnswers(flags, '/')));
        return [];
      } catch (error) {
        return (error as AnswersError).problems;
      }
    };
    expect(refused({ 'job-memory-max': '4g', 'job-memory-default': '8g' })).toEqual([
      'the default memory of a job (--job-memory-default 8g) is above its maximum (--job-memory-max 4g): lower the default or raise the maximum',
    ]);
    expect(refused({ 'job-cpus-max': '2', 'job-cpus-default': '2.5' })).toEqual([expect.stringMatching(/--job-cpus-default 2\.5\) is above its maximum \(--job-cpus-max 2\)/)]);
    expect(refused({ 'job-max-run-seconds-max': '3600', 'job-max-run-seconds-default': '7200' })).toEqual([expect.stringMatching(/--job-max-run-seconds-default 7200/)]);
    expect(refused({ 'job-memory-default': '1g', 'job-shm-size-default': '2g' })).toEqual([expect.stringMatching(/\/dev\/shm size \(--job-shm-size-default 2g\) is above the default memory/)]);
    expect(() => flagAnswers({ 'job-pids-limit': 'many' }, '/')).toThrow(/--job-pids-limit "many"/);
  });

  it('prompt with the derived limits for the workers answered so far, unless stored', () => {
    const base = baseAnswers({}, {}, bigHost);
    const prompts = promptQuestions(base, {}, false, '/', { host: bigHost, stored: storedAnswers({ jobCpusMax: 3 }) });
    const memory = prompts.find((prompt) => prompt.name === 'jobMemoryMax');
    const cpus = prompts.find((prompt) => prompt.name === 'jobCpusMax');
    expect(memory?.type === 'input' && typeof memory.default === 'function' && memory.default({ cpuWorkers: '8' })).toBe('24g');
    expect(cpus?.type === 'input' && cpus.default).toBe(String(base.jobCpusMax));
    const memoryDefault = prompts.find((prompt) => prompt.name === 'jobMemoryDefault');
    expect(memoryDefault?.type === 'input' && memoryDefault.validate('32g', { jobMemoryMax: '24g' })).toMatch(/--job-memory-default 32g\) is above its maximum \(--job-memory-max 24g\)/);
  });

  it('default fair share as the services do, take its flags and refuse bad ones, each with its message', () => {
    expect(parseAnswers(defaultAnswers())).toMatchObject({ fairShareWindowHours: 24, fairShareQuantumSeconds: 60, maxRunningPerUser: 0, highPriorityAllowance: 0 });
    const flags = flagAnswers({ 'fair-share-window-hours': '168', 'fair-share-quantum-seconds': '300', 'max-running-per-user': '2', 'high-priority-allowance': '5' }, '/');
    const stored = storedAnswers({ fairShareWindowHours: 48, maxRunningPerUser: 4 });
    expect(parseAnswers(baseAnswers(stored, flags))).toMatchObject({ fairShareWindowHours: 168, fairShareQuantumSeconds: 300, maxRunningPerUser: 2, highPriorityAllowance: 5 });
    expect(parseAnswers(baseAnswers(stored, {}))).toMatchObject({ fairShareWindowHours: 48, fairShareQuantumSeconds: 60, maxRunningPerUser: 4, highPriorityAllowance: 0 });
    const attempt = (): unknown => flagAnswers({ 'fair-share-window-hours': '0', 'fair-share-quantum-seconds': '90000', 'max-running-per-user': 'all', 'high-priority-allowance': '-1' }, '/');
    expect(attempt).toThrow(AnswersError);
    try {
      attempt();
    } catch (error) {
      expect((error as AnswersError).problems).toEqual([
        '--fair-share-window-hours "0" is not a whole number of hours from 1 to 8760 (24 is a day, 8760 a year)',
        '--fair-share-quantum-seconds "90000" is not a whole number of seconds from 1 to 86400 (86400 is a day)',
        '--max-running-per-user "all" is not a whole number of executions from 0 to 100000 (0: no cap)',
        '--high-priority-allowance "-1" is not a whole number of executions from 0 to 1000000 (0: only admins submit high-priority executions)',
      ]);
    }
    expect(() => parseAnswers({ ...defaultAnswers(), fairShareWindowHours: 9000 })).toThrow(/--fair-share-window-hours "9000"/);
  });

  it('ask the fair-share questions, the stored answers as defaults', () => {
    const base = baseAnswers(storedAnswers({ highPriorityAllowance: 3 }), {});
    const prompts = promptQuestions(base, {}, false, '/');
    const defaults = Object.fromEntries(prompts.filter((prompt) => prompt.type === 'input').map((prompt) => [prompt.name, prompt.default]));
    expect(defaults).toMatchObject({ fairShareWindowHours: '24', fairShareQuantumSeconds: '60', maxRunningPerUser: '0', highPriorityAllowance: '3' });
    const quantum = prompts.find((prompt) => prompt.name === 'fairShareQuantumSeconds');
    expect(quantum?.type === 'input' && quantum.validate('0')).toMatch(/--fair-share-quantum-seconds "0"/);
  });

  it('take the host facts from --host-memory, --host-cpus and --host-gpus, refusing bad ones', () => {
    expect(hostOptions({ 'host-memory': '64g', 'host-cpus': '16', 'host-gpus': '0,1' }, bigHost)).toEqual({ memoryBytes: 64 * GiB, cpus: 16, gpus: ['0', '1'] });
    expect(hostOptions({ 'host-gpus': 'none' }, { ...bigHost, gpus: ['0'] })).toEqual(bigHost);
    expect(hostOptions({}, bigHost)).toEqual(bigHost);
    expect(() => hostOptions({ 'host-memory': 'lots', 'host-cpus': '0', 'host-gpus': '0+1' }, bigHost)).toThrow(/--host-memory "lots"[\s\S]*--host-cpus "0"[\s\S]*--host-gpus "0\+1"/);
  });

  it('default to one GPU worker per GPU of the host (nvidia-smi -L), the job limits shared among them and the CPU worker', () => {
    const host = { ...bigHost, gpus: ['0', '1', '2', '3'] };
    const answers = parseAnswers(baseAnswers({}, {}, host));
    expect(answers).toMatchObject({ gpus: '0,1,2,3', cpuWorkers: 1, jobCpusMax: 12 });
    expect(parseAnswers(baseAnswers({ gpus: '0,1' }, {}, host)).gpus).toBe('0,1');
    expect(parseAnswers(baseAnswers({}, { gpus: 'none' }, host)).gpus).toBe('none');
    const gpuPrompt = promptQuestions(baseAnswers({}, {}, host), {}, false, '/').find((prompt) => prompt.name === 'gpus');
    expect(gpuPrompt?.default).toBe('0,1,2,3');
  });
});

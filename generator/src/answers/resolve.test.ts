import { describe, expect, it } from '@jest/globals';
import { AnswersError, defaultAnswers, parseAnswers } from './schema.js';
import { baseAnswers, flagAnswers, promptQuestions, storedAnswers } from './resolve.js';

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
});

import { describe, expect, it } from '@jest/globals';
import {
  isLoopbackAddress,
  validateBindAddress,
  validateComposeCommand,
  validateCpuWorkers,
  validateDatasetsDirectory,
  validateFairShareQuantumSeconds,
  validateFairShareWindowHours,
  validateGpus,
  validateHighPriorityAllowance,
  validateImageRegistry,
  validateImageTag,
  validateMaxRunningPerUser,
  validateName,
  validatePort,
  validatePlainHttp,
  validatePortsDiffer,
  validateServerName,
  validateSystemdMounts,
  validateWholeNumberWithin,
  validateWorkerCount,
} from './validators.js';

describe('answer validators', () => {
  it('accept good deployment names and refuse bad ones with the reason', () => {
    expect(validateName('plz')).toBe(true);
    expect(validateName('GPU Lab 2')).toBe(true);
    expect(validateName('2plz')).toMatch(/start with a letter/);
    expect(validateName('plz/prod')).toMatch(/not usable/);
    expect(validateName('')).toMatch(/not usable/);
    expect(validateName(`a${'b'.repeat(40)}`)).toMatch(/too long.*at most 40/);
  });

  it('check server names and bind addresses', () => {
    expect(validateServerName('plz.example.org')).toBe(true);
    expect(validateServerName('localhost')).toBe(true);
    expect(validateServerName('10.0.0.5')).toBe(true);
    expect(validateServerName('bad_name!')).toMatch(/not a host name/);
    expect(validateBindAddress('0.0.0.0')).toBe(true);
    expect(validateBindAddress('::1')).toBe(true);
    expect(validateBindAddress('localhost')).toMatch(/not an IP address/);
  });

  it('tell loopback addresses from the others', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '0:0:0:0:0:0:0:1']) expect([address, isLoopbackAddress(address)]).toEqual([address, true]);
    for (const address of ['0.0.0.0', '10.0.0.5', '128.0.0.1', '::', '::2', 'fe80::1', 'localhost', '']) expect([address, isLoopbackAddress(address)]).toEqual([address, false]);
  });

  it('allow plain HTTP on loopback, with HTTPS or when allowed, and refuse it on the network saying why', () => {
    expect(validatePlainHttp('127.0.0.1', false, false)).toBe(true);
    expect(validatePlainHttp('::1', false, false)).toBe(true);
    expect(validatePlainHttp('0.0.0.0', true, false)).toBe(true);
    expect(validatePlainHttp('10.0.0.5', false, true)).toBe(true);
    const refusal = validatePlainHttp('0.0.0.0', false, false);
    expect(refusal).toMatch(/bind address "0\.0\.0\.0" is reachable from the network/);
    expect(refusal).toMatch(/tokens and browser session cookies would cross it in clear text/);
    expect(refusal).toMatch(/--https, with a certificate and key in ssl\/nginx\/.*--allow-plain-http if the network is trusted/);
    expect(validatePlainHttp('::', false, false)).toMatch(/bind address "::"/);
  });

  it('check ports and refuse clashing ones', () => {
    expect(validatePort('HTTP port', '8080')).toBe(true);
    expect(validatePort('HTTP port', 0)).toBe(true);
    expect(validatePort('HTTP port', '65536')).toMatch(/HTTP port "65536" is not a port number/);
    expect(validatePort('HTTPS port', 'https')).toMatch(/HTTPS port "https" is not a port number/);
    expect(validatePortsDiffer(8080, 8443)).toBe(true);
    expect(validatePortsDiffer(0, 0)).toBe(true);
    expect(validatePortsDiffer(8080, 8080)).toMatch(/ports clash: both are 8080/);
  });

  it('check GPU groups and worker counts', () => {
    expect(validateGpus('0,1,2,3')).toBe(true);
    expect(validateGpus('0+1,2+3')).toBe(true);
    expect(validateGpus('none')).toBe(true);
    expect(validateGpus('0,1,1')).toMatch(/GPU 1 is given twice/);
    expect(validateGpus('0,gpu1')).toMatch(/"gpu1" is not a GPU index/);
    expect(validateCpuWorkers('2')).toBe(true);
    expect(validateCpuWorkers('-1')).toMatch(/not a whole number from 0 to 64/);
    expect(validateCpuWorkers('65')).toMatch(/not a whole number/);
    expect(validateWorkerCount(0, 0)).toMatch(/no worker/);
    expect(validateWorkerCount(1, 0)).toBe(true);
  });

  it("check the fair-share settings within the services' bounds, naming the flag", () => {
    expect(validateWholeNumberWithin('some-flag', '3', 1, 3, 'things', 'a hint')).toBe(true);
    expect(validateWholeNumberWithin('some-flag', '4', 1, 3, 'things', 'a hint')).toBe('--some-flag "4" is not a whole number of things from 1 to 3 (a hint)');
    expect([validateFairShareWindowHours('1'), validateFairShareWindowHours(24), validateFairShareWindowHours('8760')]).toEqual([true, true, true]);
    expect(validateFairShareWindowHours('0')).toBe('--fair-share-window-hours "0" is not a whole number of hours from 1 to 8760 (24 is a day, 8760 a year)');
    expect(validateFairShareWindowHours('8761')).toMatch(/--fair-share-window-hours "8761"/);
    expect(validateFairShareWindowHours('1.5')).toMatch(/--fair-share-window-hours "1\.5" is not a whole number of hours/);
    expect([validateFairShareQuantumSeconds('1'), validateFairShareQuantumSeconds('86400')]).toEqual([true, true]);
    expect(validateFairShareQuantumSeconds('0')).toMatch(/--fair-share-quantum-seconds "0" is not a whole number of seconds from 1 to 86400/);
    expect(validateFairShareQuantumSeconds('1m')).toMatch(/--fair-share-quantum-seconds "1m"/);
    expect([validateMaxRunningPerUser('0'), validateMaxRunningPerUser('100000')]).toEqual([true, true]);
    expect(validateMaxRunningPerUser('-1')).toBe('--max-running-per-user "-1" is not a whole number of executions from 0 to 100000 (0: no cap)');
    expect(validateMaxRunningPerUser('100001')).toMatch(/--max-running-per-user "100001"/);
    expect([validateHighPriorityAllowance('0'), validateHighPriorityAllowance('1000000')]).toEqual([true, true]);
    expect(validateHighPriorityAllowance('some')).toMatch(/--high-priority-allowance "some" is not a whole number of executions from 0 to 1000000 \(0: only admins/);
    expect(validateHighPriorityAllowance('1000001')).toMatch(/--high-priority-allowance "1000001"/);
  });

  it('check the datasets folder exists', () => {
    const exists = (p: string): boolean => p === '/srv/data';
    expect(validateDatasetsDirectory('', exists)).toBe(true);
    expect(validateDatasetsDirectory('/srv/data', exists)).toBe(true);
    expect(validateDatasetsDirectory('/srv/missing', exists)).toMatch(/datasets folder "\/srv\/missing" does not exist/);
    expect(validateDatasetsDirectory('data', exists)).toMatch(/not an absolute path/);
    expect(validateDatasetsDirectory('/srv/my data', exists)).toMatch(/spaces, quotes or shell characters/);
  });

  it('check image registries, tags, the compose command and systemd mounts', () => {
    expect(validateImageRegistry('')).toBe(true);
    expect(validateImageRegistry('ghcr.io/acme')).toBe(true);
    expect(validateImageRegistry('registry.local:5000/plz/images')).toBe(true);
    expect(validateImageRegistry('ghcr.io/Acme')).toMatch(/not a registry path/);
    expect(validateImageTag('0.1.0')).toBe(true);
    expect(validateImageTag('-bad')).toMatch(/not a Docker tag/);
    expect(validateComposeCommand('docker compose')).toBe(true);
    expect(validateComposeCommand('/usr/local/bin/docker-compose')).toBe(true);
    expect(validateComposeCommand('docker compose; rm -rf /')).toMatch(/without quotes or shell characters/);
    expect(validateSystemdMounts('/srv/data /mnt/nfs')).toBe(true);
    expect(validateSystemdMounts('')).toBe(true);
    expect(validateSystemdMounts('srv')).toMatch(/"srv" is not an absolute path/);
  });
});

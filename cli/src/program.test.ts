import { describe, expect, it } from '@jest/globals';
import { buildProgram, commandVerb } from './program.js';

const argv = (...args: string[]): string[] => ['node', 'plz', ...args];

describe('commandVerb', () => {
  it('finds the verb after the global options, and says when no command or every command is needed', () => {
    expect(commandVerb(argv('history', '--project', 'p'))).toBe('history');
    expect(commandVerb(argv('--json', '-c', 'other.json', 'run', '--', 'x'))).toBe('run');
    expect(commandVerb(argv('--config', 'history', 'list'))).toBe('list'); // `history` is the file here
    expect(commandVerb(argv('--config=x.json', '--debug', 'admin', 'users', 'list'))).toBe('admin');
    expect(commandVerb(argv('--version'))).toBe('none');
    expect(commandVerb(argv('-V'))).toBe('none');
    for (const args of [[], ['--help'], ['-h', 'run'], ['help', 'run'], ['complettion'], ['completion', 'bash'], ['--', 'run']]) expect(commandVerb(argv(...args))).toBe('all');
  });
});

describe('buildProgram', () => {
  it('registers only the verb asked for, none for --version, and every verb in help order by default', async () => {
    expect((await buildProgram('history')).commands.map((command) => command.name())).toEqual(['history']);
    expect((await buildProgram('none')).commands).toEqual([]);
    const every = (await buildProgram()).commands.map((command) => command.name());
    expect(every).toEqual(['run', 'rerun', 'logs', 'output', 'describe', 'history', 'measures', 'status', 'priority', 'stop', 'list', 'last', 'workers', 'sweep', 'ping', 'ui', 'login', 'logout', 'whoami', 'admin', 'completion']);
    for (const name of every) expect((await buildProgram(name)).commands.map((command) => command.name())).toEqual([name]);
  });
});

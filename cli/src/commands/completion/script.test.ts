import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../program.js';
import { bashScript, fishScript, zshScript } from './script.js';

/** Every command, as `plz completion` sees them (program.ts loads every verb for it). */
let every: Command;
beforeAll(async () => {
  every = await buildProgram();
});

/** Sources the bash script in a real bash, sets COMP_WORDS/COMP_CWORD as bash would, and returns COMPREPLY. */
function complete(words: string[]): { registration: string; replies: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'plz-completion-'));
  const file = path.join(dir, 'plz.bash');
  writeFileSync(file, bashScript(every));
  const words_ = words.map((word) => `'${word}'`).join(' ');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `source ${file} && complete -p plz && COMP_WORDS=(${words_}) && COMP_CWORD=${words.length - 1} && _plz_completion && printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  const [registration = '', ...replies] = out.trimEnd().split('\n');
  return { registration, replies };
}

describe('bash completion', () => {
  it('loads in bash and completes plz ru to run (and rerun)', () => {
    const { registration, replies } = complete(['plz', 'ru']);
    expect(registration).toBe('complete -o default -F _plz_completion plz');
    expect(replies).toEqual(['run']);
    expect(complete(['plz', 're']).replies).toEqual(['rerun']);
  });

  it('completes subcommands at depth and options, globals anywhere', () => {
    expect(complete(['plz', 'admin', 'to']).replies).toEqual(['tokens']);
    expect(complete(['plz', '--json', 'admin', 'tokens', 'cr']).replies).toEqual(['create']);
    expect(complete(['plz', 'run', '--queue']).replies).toEqual(['--queue-without-worker']);
    expect(complete(['plz', 'logs', '--ta']).replies).toEqual(['--tail']);
    expect(complete(['plz', 'status', '--js']).replies).toEqual(['--json']);
    expect(complete(['plz', 'completion', '']).replies).toEqual(expect.arrayContaining(['--help']));
  });

  it('knows plz priority and --priority, and offers their levels', () => {
    expect(complete(['plz', 'pri']).replies).toEqual(['priority']);
    expect(complete(['plz', 'run', '--pri']).replies).toEqual(['--priority']);
    expect(complete(['plz', 'rerun', '--pri']).replies).toEqual(['--priority']);
    expect(complete(['plz', 'run', '--priority', '']).replies).toEqual(['high', 'normal', 'low']);
    expect(complete(['plz', '--json', 'sweep', '--priority', 'n']).replies).toEqual(['normal']);
    expect(complete(['plz', 'priority', '']).replies).toEqual(expect.arrayContaining(['high', 'normal', 'low', '--help']));
    expect(complete(['plz', 'priority', 'l']).replies).toEqual(['low']);
  });
});

describe('zsh and fish completion', () => {
  it('wraps the bash script for zsh and lists commands for fish', () => {
    const program = every;
    expect(zshScript(program)).toContain('bashcompinit');
    expect(zshScript(program)).toContain('complete -o default -F _plz_completion plz');
    expect(fishScript(program)).toContain("complete -c plz -n '__fish_use_subcommand' -a 'run'");
    expect(fishScript(program)).toContain("complete -c plz -n '__fish_seen_subcommand_from run' -l queue-without-worker");
    expect(fishScript(program)).toContain("complete -c plz -n '__fish_seen_subcommand_from run' -l priority -xa 'high normal low'");
    expect(fishScript(program)).toContain("complete -c plz -n '__fish_seen_subcommand_from priority' -a 'high normal low'");
  });
});

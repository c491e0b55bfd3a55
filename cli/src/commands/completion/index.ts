import { Command } from 'commander';
import { z } from 'zod';
import { Printer } from '../../output.js';
import { globalOptions } from '../common.js';
import { bashScript, fishScript, zshScript } from './script.js';

const Shell = z.enum(['bash', 'zsh', 'fish'], { error: 'expected bash, zsh or fish' });

/** `plz completion bash|zsh|fish`: prints the shell's completion script for plz's commands and options. */
export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script: source <(plz completion bash)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(function (this: Command, shellName: string) {
      const shell = Shell.parse(shellName);
      let root: Command | null = this.parent;
      while (root?.parent) root = root.parent;
      if (!root) throw new Error('plz completion runs only as a subcommand of plz');
      const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](root);
      new Printer(Boolean(globalOptions(this).json)).result({ shell, script }, script);
    });
}

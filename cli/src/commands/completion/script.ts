import type { Command } from 'commander';

/**
 * One command of the tree: its path of names from the root (`''`, `admin`, `admin users`),
 * subcommands, options, and the values of those options (by long flag) and of its first argument
 * (key `''`) that are fixed choices (`--priority high|normal|low`).
 */
interface Node {
  path: string;
  commands: { name: string; description: string }[];
  options: string[];
  choices: Record<string, readonly string[]>;
}

/** Every command of `program`, depth first, with its subcommands' names, its long and short options and their choices. */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const visit = (command: Command, path: string): void => {
    const visible = command.commands.filter((sub) => !(sub as unknown as { _hidden?: boolean })._hidden);
    const options = command.options.flatMap((option) => [option.long, option.short]).filter((flag): flag is string => Boolean(flag));
    const choices: Record<string, readonly string[]> = {};
    for (const option of command.options) if (option.long && option.argChoices) choices[option.long] = option.argChoices;
    const first = command.registeredArguments[0]?.argChoices;
    if (first) choices[''] = first;
    nodes.push({ path, commands: visible.map((sub) => ({ name: sub.name(), description: sub.description() })), options: [...options, '--help'], choices });
    for (const sub of visible) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return nodes;
}

const shellWord = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A bash completion script for `plz` (`source <(plz completion bash)`): completes subcommands at
 * any depth and options, falling back to file names (`complete -o default`) where it has nothing.
 * Global options (`--json`, `-c FILE`) may come anywhere. After an option with fixed choices it
 * offers only those; right after a command whose first argument has fixed choices, those too.
 */
export function bashScript(program: Command): string {
  const nodes = commandTree(program);
  const globals = nodes[0]!.options.filter((flag) => flag !== '--version' && flag !== '-V');
  const known = nodes.filter((node) => node.path).map((node) => shellWord(node.path)).join('|');
  const cases = nodes
    .map((node) => `    ${shellWord(node.path)}) words=${shellWord([...node.commands.map((c) => c.name), ...new Set([...node.options, ...globals])].join(' '))} ;;`)
    .join('\n');
  const values = nodes
    .flatMap((node) =>
      Object.entries(node.choices).map(([flag, choices]) => {
        const words = shellWord(choices.join(' '));
        // The first argument: the word before is the command's own name; its options stay on offer.
        return flag ? `    ${shellWord(`${node.path}|${flag}`)}) words=${words} ;;` : `    ${shellWord(`${node.path}|${node.path.split(' ').pop()}`)}) words="${choices.join(' ')} $words" ;;`;
      }),
    )
    .join('\n');
  return `# bash completion for plz: source <(plz completion bash), or save it in
# ~/.local/share/bash-completion/completions/plz
_plz_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next word words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    next="\${path:+$path }$word"
    case "$next" in
      ${known}) path="$next" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  case "$path|\${COMP_WORDS[COMP_CWORD-1]}" in
${values}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _plz_completion plz
`;
}

/** A zsh completion script: the bash one through zsh's bashcompinit (`source <(plz completion zsh)`). */
export function zshScript(program: Command): string {
  return `# zsh completion for plz: source <(plz completion zsh) in ~/.zshrc
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

/** A fish completion script (`plz completion fish > ~/.config/fish/completions/plz.fish`). */
export function fishScript(program: Command): string {
  const nodes = commandTree(program);
  const lines = ['# fish completion for plz: plz completion fish > ~/.config/fish/completions/plz.fish', 'complete -c plz -f'];
  const fishText = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const node of nodes) {
    const names = node.path ? node.path.split(' ') : [];
    const condition = names.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${names[names.length - 1]}`;
    for (const sub of node.commands) lines.push(`complete -c plz -n ${fishText(condition)} -a ${fishText(sub.name)} -d ${fishText(sub.description)}`);
    for (const option of node.options.filter((flag) => flag.startsWith('--'))) {
      const choices = node.choices[option] ? ` -xa ${fishText(node.choices[option].join(' '))}` : '';
      lines.push(`complete -c plz${names.length ? ` -n ${fishText(`__fish_seen_subcommand_from ${names[names.length - 1]}`)}` : ''} -l ${option.slice(2)}${choices}`);
    }
    if (node.choices[''] && names.length) lines.push(`complete -c plz -n ${fishText(condition)} -a ${fishText(node.choices[''].join(' '))}`);
  }
  return `${lines.join('\n')}\n`;
}

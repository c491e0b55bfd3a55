import leven from 'leven';

/**
 * Options the generator accepts without declaring them: those of yeoman-environment's command line
 * (`addEnvironmentOptions` in yeoman-environment/dist/util/command.js: `--force`, `--dry-run`, ...)
 * and of `yo` itself (`--insight`, `--generators`, ...), as `yo` hands every flag it parsed to the
 * generator.
 */
export const environmentOptions: readonly string[] = [
  'cwd',
  'skip-install',
  'skip-cache',
  'local-config-only',
  'ask-answered',
  'force',
  'force-install',
  'dry-run',
  'whitespace',
  'bail',
  'skip-yo-resolve',
  'skip-local-cache',
  'skip-parse-options',
  'experimental',
  'log-cwd',
  'insight',
  'generators',
  'version',
  'environment-version',
  'help',
  'h',
];

/**
 * Keys that yeoman-environment, `yo` and yeoman-test put among a generator's options that are not
 * flags of anyone (the environment, the generator's resolved path, shared data...). Keys starting
 * with `_` (minimist's `_`, `_meta`) are internal too.
 */
const internalOptions = new Set([
  'env',
  'resolved',
  'namespace',
  'namespace-id',
  'shared-data',
  'shared-fs',
  'forward-error-to-environment',
  'destination-root',
  'skip-checks',
]);

/** camelCase to kebab-case (`yo` passes every flag both ways: `cpuWorkers` and `cpu-workers`). */
const kebab = (name: string): string => name.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** An option given on the command line that nobody declared, and the known flag closest to it. */
export interface UnknownOption {
  flag: string;
  closest: string | undefined;
}

/**
 * The known flag closest to `name`: the one sharing most words with it (`worker-host` and
 * `worker-hosts` share "worker" and "host", a plural counting as its singular), then at the smallest
 * Levenshtein distance (ties: the first in `known`).
 */
export function closestFlag(name: string, known: readonly string[]): string | undefined {
  const words = (flag: string): string[] => flag.split('-').filter(Boolean).map((word) => word.replace(/s$/, ''));
  const own = new Set(words(name));
  let best: string | undefined;
  let score: [number, number] = [Infinity, Infinity];
  for (const flag of known) {
    const candidate: [number, number] = [-words(flag).filter((word) => own.has(word)).length, leven(name, flag)];
    if (candidate[0] < score[0] || (candidate[0] === score[0] && candidate[1] < score[1])) [best, score] = [flag, candidate];
  }
  return best;
}

/**
 * The options given that are neither declared by the generator nor the environment's, each with
 * the closest declared flag (closestFlag).
 *
 * @param given the keys of the generator's options as Yeoman hands them over (camelCase or kebab-case).
 * @param declared the flags the generator declares (kebab-case, without `--`).
 */
export function unknownOptions(given: readonly string[], declared: readonly string[]): UnknownOption[] {
  const known = new Set([...declared, ...environmentOptions]);
  const unknown = new Set<string>();
  for (const key of given) {
    if (key.startsWith('_')) continue;
    const flag = kebab(key);
    if (!known.has(flag) && !internalOptions.has(flag)) unknown.add(flag);
  }
  return [...unknown].map((flag) => ({ flag, closest: closestFlag(flag, declared) }));
}

/** Options that nobody declared: the generator stops before writing anything. */
export class UnknownOptionsError extends Error {
  constructor(readonly unknown: UnknownOption[]) {
    const lines = unknown.map(({ flag, closest }) => `  --${flag}${closest ? ` (did you mean --${closest}?)` : ''}`);
    super(`unknown option${unknown.length > 1 ? 's' : ''}: nothing was written\n${lines.join('\n')}\n\`yo plz-deploy --help\` lists every option.`);
    this.name = 'UnknownOptionsError';
  }
}

/**
 * Refuses options nobody declared (a mistyped `--cpu-worker`, a flag of another version such as
 * `--gpu-hosts`), which Yeoman would otherwise ignore silently.
 *
 * @throws UnknownOptionsError naming each, with the closest declared flag.
 */
export function refuseUnknownOptions(given: readonly string[], declared: readonly string[]): void {
  const unknown = unknownOptions(given, declared);
  if (unknown.length > 0) throw new UnknownOptionsError(unknown);
}

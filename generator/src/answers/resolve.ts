import { AnswersError, defaultAnswers, type AnswerName } from './schema.js';
import { questions, type Question } from './questions.js';
import { deriveJobLimits, isJobLimit, referenceHost, type HostFacts, type JobLimitAnswers } from './derive.js';
import { parseGpuGroups } from '../gpus.js';
import { parseWholeNumber } from './validators.js';
import { parseSize } from './job-limits.js';

/** Raw answers by name, before validation: strings from flags and prompts, JSON values from .yo-rc.json. */
export type RawAnswers = Partial<Record<AnswerName, unknown>>;

/** A question ready for Yeoman's prompt (Inquirer's shape): free text, checked and normalised. */
export interface InputPromptQuestion {
  type: 'input';
  name: AnswerName;
  message: string;
  /** A value, or (for the derived job limits) a function of the answers so far. */
  default: string | ((answers: Record<string, unknown>) => string);
  /** Inquirer passes the answers so far as a second argument (legacy API, kept by inquirer 13). */
  validate: (value: string, answers?: Record<string, unknown>) => true | string;
  filter: (value: string) => string;
  /** Inquirer asks the question only when this returns true, given the answers so far. */
  when?: (answers: Record<string, unknown>) => boolean;
}

/** A yes/no question. */
export interface ConfirmPromptQuestion {
  type: 'confirm';
  name: AnswerName;
  message: string;
  default: boolean;
  /** Inquirer asks the question only when this returns true, given the answers so far. */
  when?: (answers: Record<string, unknown>) => boolean;
}

export type PromptQuestion = InputPromptQuestion | ConfirmPromptQuestion;

/** Keeps the known answers of a stored configuration (`.yo-rc.json`), dropping anything else. */
export function storedAnswers(config: Record<string, unknown>): RawAnswers {
  const known = new Set<string>(questions.map((question) => question.name));
  return Object.fromEntries(Object.entries(config).filter(([key, value]) => known.has(key) && value !== undefined && value !== null)) as RawAnswers;
}

/**
 * Reads the answers given as flags (`--http-port 8080`), normalised (relative paths resolved from
 * `cwd`) and checked one by one.
 *
 * @param options Yeoman's parsed options, keyed by flag name.
 * @throws AnswersError listing every flag whose value is refused.
 */
export function flagAnswers(options: Record<string, unknown>, cwd: string): RawAnswers {
  const answers: RawAnswers = {};
  const problems: string[] = [];
  for (const question of questions) {
    const value = options[question.flag];
    if (value === undefined || value === null) continue;
    if (question.kind === 'confirm') {
      answers[question.name] = value === true || value === 'true';
      continue;
    }
    const text = normalize(question, String(value), cwd);
    const validation = question.validate(text, { ...answers });
    if (validation !== true) problems.push(validation);
    answers[question.name] = text;
  }
  if (problems.length > 0) throw new AnswersError(problems);
  return answers;
}

/**
 * The job limits derived from `host` for the workers these raw answers describe (GPU groups plus
 * CPU workers; answers not valid yet count as the defaults: no GPU, one CPU worker).
 */
export function derivedJobLimits(answers: RawAnswers, host: HostFacts): JobLimitAnswers {
  let gpuWorkers = 0;
  try {
    gpuWorkers = parseGpuGroups(String(answers.gpus ?? 'none')).length;
  } catch {
    gpuWorkers = 0;
  }
  const cpuWorkers = parseWholeNumber(String(answers.cpuWorkers ?? '1')) ?? 1;
  return deriveJobLimits({ hostMemoryBytes: host.memoryBytes, hostCpus: host.cpus, workers: gpuWorkers + cpuWorkers });
}

/**
 * The answers before prompting: defaults (the job limits derived from `host` for the worker count
 * answered so far), overridden by the stored configuration, overridden by flags. The image tag's
 * default follows the registry (see defaultAnswers).
 */
export function baseAnswers(stored: RawAnswers, flags: RawAnswers, host: HostFacts = referenceHost): RawAnswers {
  const registry = String(flags.imageRegistry ?? stored.imageRegistry ?? '');
  const known = { ...defaultAnswers(registry, host), ...stored, ...flags };
  return { ...defaultAnswers(registry, host), ...derivedJobLimits(known, host), ...stored, ...flags };
}

/**
 * The prompts still to ask: every question without a flag, its default taken from `base`; a job
 * limit that is not stored is derived again from `host` and the worker count answered in the
 * prompts (when `host` is given). Nothing is asked when `skipPrompts` is set.
 */
export function promptQuestions(base: RawAnswers, flags: RawAnswers, skipPrompts: boolean, cwd: string, derive?: { host: HostFacts; stored: RawAnswers }): PromptQuestion[] {
  if (skipPrompts) return [];
  const derivedDefault = (name: AnswerName): InputPromptQuestion['default'] => {
    if (!derive || name in derive.stored || !isJobLimit(name)) return String(base[name] ?? '');
    return (answers: Record<string, unknown>) => String(derivedJobLimits({ ...base, ...answers }, derive.host)[name]);
  };
  return questions
    .filter((question) => !(question.name in flags))
    .map((question): PromptQuestion => {
      if (question.kind === 'confirm') {
        const when = question.when;
        const prompt: ConfirmPromptQuestion = { type: 'confirm', name: question.name, message: question.message, default: base[question.name] === true };
        return when ? { ...prompt, when: (answers: Record<string, unknown>) => when({ ...base, ...answers }) } : prompt;
      }
      const input: InputPromptQuestion = {
        type: 'input',
        name: question.name,
        message: question.message,
        default: derivedDefault(question.name),
        filter: (value: string) => normalize(question, value, cwd),
        validate: (value: string, answers?: Record<string, unknown>) => question.validate(normalize(question, value, cwd), { ...base, ...answers }),
      };
      const when = question.when;
      return when ? { ...input, when: (answers: Record<string, unknown>) => when({ ...base, ...answers }) } : input;
    });
}

/**
 * The host facts the defaults are derived from: `--host-memory`, `--host-cpus` and `--host-gpus`
 * when given (the golden test fixes them so that the repository root does not depend on its
 * machine), else this machine's.
 *
 * @throws AnswersError when the memory is not a size, the CPUs not a whole number, or the GPUs
 *   not indexes (`0,1,2,3` or `none`).
 */
export function hostOptions(options: Record<string, unknown>, machine: HostFacts): HostFacts {
  const memory = options['host-memory'];
  const cpus = options['host-cpus'];
  const gpus = options['host-gpus'];
  const memoryBytes = memory === undefined ? machine.memoryBytes : parseSize(String(memory));
  const cpuCount = cpus === undefined ? machine.cpus : parseWholeNumber(String(cpus));
  let gpuIndexes: readonly string[] | undefined = machine.gpus;
  if (gpus !== undefined) {
    try {
      const groups = parseGpuGroups(String(gpus));
      gpuIndexes = groups.every((group) => group.length === 1) ? groups.flat() : undefined;
    } catch {
      gpuIndexes = undefined;
    }
  }
  const problems = [
    ...(memoryBytes === undefined || memoryBytes <= 0 ? [`--host-memory "${String(memory)}" is not a size such as 64g`] : []),
    ...(cpuCount === undefined || cpuCount <= 0 ? [`--host-cpus "${String(cpus)}" is not a whole number of CPUs, at least 1`] : []),
    ...(gpuIndexes === undefined ? [`--host-gpus "${String(gpus)}" is not a list of GPU indexes such as 0,1,2,3, or none`] : []),
  ];
  if (problems.length > 0 || memoryBytes === undefined || cpuCount === undefined || gpuIndexes === undefined) throw new AnswersError(problems);
  return { memoryBytes, cpus: cpuCount, gpus: gpuIndexes };
}

function normalize(question: Question, value: string, cwd: string): string {
  return question.normalize ? question.normalize(value, cwd) : value.trim();
}

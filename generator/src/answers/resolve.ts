import { AnswersError, defaultAnswers, type AnswerName } from './schema.js';
import { questions, type Question } from './questions.js';

/** Raw answers by name, before validation: strings from flags and prompts, JSON values from .yo-rc.json. */
export type RawAnswers = Partial<Record<AnswerName, unknown>>;

/** A question ready for Yeoman's prompt (Inquirer's shape): free text, checked and normalised. */
export interface InputPromptQuestion {
  type: 'input';
  name: AnswerName;
  message: string;
  default: string;
  /** Inquirer passes the answers so far as a second argument (legacy API, kept by inquirer 13). */
  validate: (value: string, answers?: Record<string, unknown>) => true | string;
  filter: (value: string) => string;
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
 * The answers before prompting: defaults, overridden by the stored configuration, overridden by
 * flags. The image tag's default follows the registry (see defaultAnswers).
 */
export function baseAnswers(stored: RawAnswers, flags: RawAnswers): RawAnswers {
  const registry = String(flags.imageRegistry ?? stored.imageRegistry ?? '');
  return { ...defaultAnswers(registry), ...stored, ...flags };
}

/**
 * The prompts still to ask: every question without a flag, its default taken from `base`.
 * Nothing is asked when `skipPrompts` is set.
 */
export function promptQuestions(base: RawAnswers, flags: RawAnswers, skipPrompts: boolean, cwd: string): PromptQuestion[] {
  if (skipPrompts) return [];
  return questions
    .filter((question) => !(question.name in flags))
    .map((question): PromptQuestion => {
      if (question.kind === 'confirm') {
        const when = question.when;
        const prompt: ConfirmPromptQuestion = { type: 'confirm', name: question.name, message: question.message, default: base[question.name] === true };
        return when ? { ...prompt, when: (answers: Record<string, unknown>) => when({ ...base, ...answers }) } : prompt;
      }
      return {
        type: 'input',
        name: question.name,
        message: question.message,
        default: String(base[question.name] ?? ''),
        filter: (value: string) => normalize(question, value, cwd),
        validate: (value: string, answers?: Record<string, unknown>) => question.validate(normalize(question, value, cwd), { ...base, ...answers }),
      };
    });
}

function normalize(question: Question, value: string, cwd: string): string {
  return question.normalize ? question.normalize(value, cwd) : value.trim();
}

import path from 'node:path';
import Generator from 'yeoman-generator';
import { questions } from '../../answers/questions.js';
import { baseAnswers, flagAnswers, hostOptions, promptQuestions, storedAnswers, type RawAnswers } from '../../answers/resolve.js';
import { parseAnswers, type Answers } from '../../answers/schema.js';
import { readHostFacts, type HostFacts } from '../../answers/derive.js';
import { bundleTemplatesDirectory } from '../../paths.js';
import { deploymentContext } from '../../render/context.js';
import { nextSteps } from '../../render/messages.js';
import { bundleFiles } from '../../render/bundle.js';

/**
 * `yo plz-deploy [destination]`: writes (or updates) a plz deployment folder.
 * Only the Yeoman lifecycle lives here; questions, validation and rendering have their own
 * modules (answers/, render/). Answers come from .yo-rc.json, flags and prompts, in that order
 * of precedence from lowest to highest; `--skip-prompts` asks nothing.
 */
export default class PlzDeployGenerator extends Generator {
  private flags: RawAnswers = {};
  private stored: RawAnswers = {};
  private host: HostFacts = readHostFacts();
  private answers?: Answers;

  constructor(args: string[], options: Generator['options']) {
    super(args, options);
    this.argument('destination', { type: String, required: false, description: 'Deployment folder (default: the current folder)' });
    for (const question of questions) {
      this.option(question.flag, { type: question.kind === 'confirm' ? Boolean : String, description: question.message });
    }
    this.option('host-memory', { type: String, description: "Host memory the job limits are derived from (such as 64g; default: this machine's)" });
    this.option('host-cpus', { type: String, description: "Host CPUs the job limits are derived from (default: this machine's)" });
    this.option('skip-prompts', { type: Boolean, description: 'Ask nothing: take the stored answers, the flags and the defaults' });
    this.sourceRoot(bundleTemplatesDirectory);
  }

  initializing(): void {
    const options = this.options as Record<string, unknown>;
    const destination = options['destination'];
    if (typeof destination === 'string' && destination !== '') this.destinationRoot(path.resolve(this.contextRoot, destination));
    this.stored = storedAnswers(this.config.getAll());
    this.flags = flagAnswers(options, this.contextRoot);
    this.host = hostOptions(options, this.host);
  }

  async prompting(): Promise<void> {
    const base = baseAnswers(this.stored, this.flags, this.host);
    const skip = (this.options as Record<string, unknown>)['skip-prompts'] === true;
    const asked = await this.prompt(promptQuestions(base, this.flags, skip, this.contextRoot, { host: this.host, stored: this.stored }));
    this.answers = parseAnswers({ ...base, ...asked });
  }

  writing(): void {
    const answers = this.answers;
    if (!answers) throw new Error('no answers: prompting did not run');
    this.config.set(answers);
    for (const file of bundleFiles(deploymentContext(answers))) {
      const destination = this.destinationPath(file.path);
      if ('contents' in file) this.fs.write(destination, file.contents);
      else this.fs.copy(file.source, destination);
    }
  }

  end(): void {
    if (this.answers) this.log(nextSteps(deploymentContext(this.answers), this.destinationRoot()));
  }
}

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import Generator from 'yeoman-generator';
import { questions } from '../../answers/questions.js';
import { baseAnswers, flagAnswers, hostOptions, promptQuestions, storedAnswers, type RawAnswers } from '../../answers/resolve.js';
import { AnswersError, parseAnswers, storedForm, type Answers } from '../../answers/schema.js';
import { controllerSecretsFile, JoinedControllerSchema, readJoinBundle, splitBundle, type ControllerSecrets, type JoinBundle, type JoinedController } from '../../join/bundle.js';
import { readHostFacts, referenceHost, type HostFacts } from '../../answers/derive.js';
import { refuseUnknownOptions } from '../../answers/flags.js';
import { hostCaCertificatesDirectory, missingCaCertificates, type MissingCaCertificate } from '../../host/ca-certificates.js';
import { bundleTemplatesDirectory } from '../../paths.js';
import { deploymentContext } from '../../render/context.js';
import { nextSteps } from '../../render/messages.js';
import { bundleFiles } from '../../render/bundle.js';
import { staleSourceFiles } from '../../render/sources.js';

/**
 * `yo plz-deploy [destination]`: writes (or updates) a plz deployment folder.
 * Only the Yeoman lifecycle lives here; questions, validation and rendering have their own
 * modules (answers/, render/, host/). Answers come from .yo-rc.json, flags and prompts, in that order
 * of precedence from lowest to highest; `--skip-prompts` asks nothing. An option nobody declared
 * stops it before anything is written (answers/flags.ts).
 */
export default class PlzDeployGenerator extends Generator {
  private flags: RawAnswers = {};
  private stored: RawAnswers = {};
  private host: HostFacts = referenceHost;
  private answers?: Answers;
  /** The host's extra CA certificates that ssl/ca-certificates/ lacks, and whether to copy them. */
  private caCertificates: { missing: MissingCaCertificate[]; copy: boolean } = { missing: [], copy: false };
  /**
   * A worker host's controller (`--role worker`): from `--join BUNDLE` (with the secrets and CA
   * certificate to write) or, without it, what .yo-rc.json keeps of the last bundle.
   */
  private join?: { controller: JoinedController; secrets?: ControllerSecrets; caCertificate?: string; queue?: JoinBundle['queue'] };

  constructor(args: string[], options: Generator['options']) {
    super(args, options);
    this.argument('destination', { type: String, required: false, description: 'Deployment folder (default: the current folder)' });
    for (const question of questions) {
      this.option(question.flag, { type: question.kind === 'confirm' ? Boolean : String, description: question.message });
    }
    this.option('host-memory', { type: String, description: "Host memory the job limits are derived from (such as 64g; default: this machine's)" });
    this.option('host-cpus', { type: String, description: "Host CPUs the job limits are derived from (default: this machine's)" });
    this.option('host-gpus', { type: String, description: "Host GPU indexes the default GPU workers are derived from (such as 0,1,2,3 or none; default: those nvidia-smi -L lists)" });
    this.option('copy-host-ca-certificates', {
      type: Boolean,
      description: "Copy the host's extra CA certificates (a proxy that re-signs TLS) that ssl/ca-certificates/ lacks (default: yes; --no-copy-host-ca-certificates: no)",
    });
    this.option('host-ca-certificates', { type: String, description: `Folder of the host's extra CA certificates (default: ${hostCaCertificatesDirectory})` });
    this.option('join', {
      type: String,
      description:
        "Worker host (--role worker): the join bundle the controller wrote (./init-deployment.sh --worker-host-bundle NAME there); its credentials go to secrets/controller.env (mode 0600), its CA certificate to ssl/controller/ca.crt, never into .yo-rc.json. Without it, a worker host's folder keeps the last bundle's",
    });
    this.option('skip-prompts', { type: Boolean, description: 'Ask nothing: take the stored answers, the flags and the defaults' });
    this.sourceRoot(bundleTemplatesDirectory);
  }

  initializing(): void {
    const options = this.options as Record<string, unknown>;
    refuseUnknownOptions(Object.keys(options), [...Object.keys(this._options), 'destination']);
    const destination = options['destination'];
    if (typeof destination === 'string' && destination !== '') this.destinationRoot(path.resolve(this.contextRoot, destination));
    this.stored = storedAnswers(this.config.getAll());
    this.flags = flagAnswers(options, this.contextRoot);
    const join = options['join'];
    if (typeof join === 'string' && join !== '') {
      const bundle = readJoinBundle(path.resolve(this.contextRoot, join));
      const { controller, secrets } = splitBundle(bundle);
      this.join = { controller, secrets, caCertificate: bundle.caCertificate.endsWith('\n') ? bundle.caCertificate : `${bundle.caCertificate}\n`, queue: bundle.queue };
    } else {
      // Without --join: what .yo-rc.json keeps of the last bundle (its secrets stay in secrets/controller.env).
      const kept = JoinedControllerSchema.safeParse(this.config.get('controller'));
      if (kept.success && existsSync(this.destinationPath('secrets', 'controller.env'))) this.join = { controller: kept.data };
    }
    const given = (name: string): boolean => options[name] !== undefined;
    const machine = given('host-memory') && given('host-cpus') && given('host-gpus') ? referenceHost : readHostFacts();
    this.host = hostOptions(options, machine);
    const hostCa = options['host-ca-certificates'];
    this.caCertificates.missing = missingCaCertificates(typeof hostCa === 'string' && hostCa !== '' ? path.resolve(this.contextRoot, hostCa) : hostCaCertificatesDirectory, this.destinationRoot());
  }

  async prompting(): Promise<void> {
    const options = this.options as Record<string, unknown>;
    const base = baseAnswers(this.stored, this.flags, this.host);
    const skip = options['skip-prompts'] === true;
    const asked = await this.prompt(promptQuestions(base, this.flags, skip, this.contextRoot, { host: this.host, stored: this.stored }));
    // A new bundle's queue rules (the controller's envs/queue.env) win over any other answer: every worker shares the queues by them.
    const role = String({ ...base, ...asked }.role ?? '').trim();
    this.answers = parseAnswers({ ...base, ...asked, ...(role === 'worker' ? this.join?.queue : {}) });
    if (this.answers.role === 'worker' && !this.join) {
      throw new AnswersError(['a worker host (--role worker) joins a controller: give --join BUNDLE, the join bundle written there by ./init-deployment.sh --worker-host-bundle NAME; nothing was written']);
    }
    const serverName = this.join?.controller.serverName ?? '';
    if (this.answers.role === 'worker' && this.answers.controllerAddress !== '' && (isIP(serverName) !== 0 || serverName === 'localhost' || serverName.endsWith('.localhost'))) {
      throw new AnswersError([
        `--controller-address cannot map the controller's server name "${serverName}": it is an address or a loopback name (the controller's operator gives it a name that worker hosts can resolve: yo plz-deploy --server-name there, then a new bundle); nothing was written`,
      ]);
    }
    if (this.answers.role === 'controller' && options['join'] !== undefined) {
      throw new AnswersError(['--join is for a worker host: add --role worker; nothing was written']);
    }
    const { missing } = this.caCertificates;
    const copyFlag = options['copy-host-ca-certificates'];
    if (missing.length === 0) return;
    if (typeof copyFlag === 'boolean') this.caCertificates.copy = copyFlag;
    else if (skip) this.caCertificates.copy = true;
    else {
      const { copy } = await this.prompt<{ copy: boolean }>([{ type: 'confirm', name: 'copy', default: true, message: copyCaQuestion(missing) }]);
      this.caCertificates.copy = copy;
    }
  }

  writing(): void {
    const answers = this.answers;
    if (!answers) throw new Error('no answers: prompting did not run');
    this.config.set(storedForm(answers));
    const controller = answers.role === 'worker' ? this.join?.controller : undefined;
    if (controller) this.config.set('controller', controller);
    const context = deploymentContext(answers, controller);
    const files = bundleFiles(context);
    for (const file of files) {
      const destination = this.destinationPath(file.path);
      if ('contents' in file) this.fs.write(destination, file.contents);
      else this.fs.copy(file.source, destination);
    }
    // Run again over an earlier release's folder (an upgrade): its copy of the sources goes whole.
    if (context.images.build) {
      for (const stale of staleSourceFiles(this.destinationRoot(), new Set(files.map((file) => file.path)))) this.fs.delete(this.destinationPath(stale));
    }
    if (this.caCertificates.copy) {
      for (const certificate of this.caCertificates.missing) this.fs.copy(certificate.source, this.destinationPath('ssl', 'ca-certificates', certificate.name));
    }
    if (answers.role === 'worker' && this.join?.caCertificate !== undefined) this.fs.write(this.destinationPath('ssl', 'controller', 'ca.crt'), this.join.caCertificate);
    if (answers.role === 'worker' && this.join?.secrets) writeControllerSecrets(this.destinationPath('secrets'), this.join.secrets, this.join.controller.workerHost);
  }

  end(): void {
    if (!this.answers) return;
    const { missing, copy } = this.caCertificates;
    if (missing.length > 0) this.log(copy ? `Copied the host's extra CA certificates into ssl/ca-certificates/: ${missing.map((c) => c.name).join(', ')}.` : skippedCaMessage(missing));
    this.log(nextSteps(deploymentContext(this.answers, this.answers.role === 'worker' ? this.join?.controller : undefined), this.destinationRoot()));
  }
}

/** The question asked when the host trusts CA certificates that ssl/ca-certificates/ lacks. */
function copyCaQuestion(missing: readonly MissingCaCertificate[]): string {
  return (
    `This host trusts extra CA certificates that ssl/ca-certificates/ lacks (${missing.map((c) => path.basename(c.source)).join(', ')}), ` +
    'as behind a proxy that re-signs TLS. Copy them, so that the image builds and the jobs trust them too?'
  );
}

/** Said at the end when the operator declined the copy. */
function skippedCaMessage(missing: readonly MissingCaCertificate[]): string {
  return `Not copied: the host's extra CA certificates ${missing.map((c) => c.source).join(', ')}. Behind a proxy that re-signs TLS, image builds and pip in jobs fail until they are in ssl/ca-certificates/ (see DEPLOYMENT.md, "Extra CA certificates").`;
}

/**
 * Writes a worker host's secrets/controller.env (folder 0700, file 0600) directly, not through
 * Yeoman's in-memory file system, which would write it with the default mode. Unchanged content is
 * not written again.
 *
 * @param folder the folder's absolute path (`<deployment>/secrets`).
 */
function writeControllerSecrets(folder: string, secrets: ControllerSecrets, workerHost: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const file = path.join(folder, 'controller.env');
  const content = controllerSecretsFile(secrets, workerHost);
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

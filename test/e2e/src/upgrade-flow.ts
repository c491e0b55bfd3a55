import { expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { results, settled } from './deployment-results.js';
import type { ComposeProject } from './docker.js';
import { dockerBinary, dockerEnv } from './docker.js';
import { generateDeployment } from './generate.js';
import { executionIdIn, PlzUser, runCommand, type Result } from './plz-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The previous release: the commit that deployments are upgraded from in this test. A deployment
 * generated and used with it must keep working, with all its data, after the current generator,
 * `./init-deployment.sh` and `docker compose up -d --wait` ran in its folder (issue 18).
 */
export const previousRelease = 'fde8541';

/** A checkout of the previous release with its generator and CLI built, beside this repository. */
export interface PreviousRelease {
  /** The worktree's folder: `node_modules/.bin/yo` there runs that release's generator. */
  checkout: string;
  /** That release's CLI entry point (`cli/dist/index.js`, once {@link buildPreviousCli} ran), for PlzUser. */
  cliEntry: string;
  /** Seconds each preparation step took, for the log of the run. */
  timings: Record<string, number>;
}

const expectSuccess = (result: Result, what: string): void => {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
};

/**
 * Checks the previous release out with `git worktree add --detach CHECKOUT fde8541` (from this
 * repository), installs its dependencies (`npm ci --prefer-offline`: the npm cache serves what this
 * checkout's install already fetched) and builds its generator (`tsc --build generator`); its CLI is
 * built by {@link buildPreviousCli}, which may run while that release's images build. Throws with a
 * clear message when the commit is not in this clone (a shallow clone lacks it), and with the output
 * of the step that failed otherwise.
 * Remove the worktree with {@link removePreviousRelease}.
 */
export async function checkOutPreviousRelease(checkout: string): Promise<PreviousRelease> {
  const timings: Record<string, number> = {};
  const timed = timer(timings);
  const known = await runCommand('git', ['-C', root, 'cat-file', '-e', `${previousRelease}^{commit}`]);
  if (known.status !== 0) {
    throw new Error(
      `the previous release ${previousRelease} is not in this clone of plz (${root}): the upgrade test deploys it first. ` +
        'A shallow clone lacks it: run `git fetch --unshallow` (or clone without --depth) and run the tests again.',
    );
  }
  await timed('git worktree add', () => runCommand('git', ['-C', root, 'worktree', 'add', '--detach', checkout, previousRelease]));
  const bin = path.dirname(process.execPath);
  const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? '/root', NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' };
  // npm beside the node running the tests, else the first on PATH.
  await timed('npm ci', () => runCommand('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: checkout, env, timeoutMs: 900_000 }));
  await timed('tsc --build generator', () => tsc(checkout, 'generator'));
  return { checkout, cliEntry: path.join(checkout, 'cli/dist/index.js'), timings };
}

/** Builds the previous release's CLI in its checkout (`tsc --build cli`, with the packages it references); its time goes into `timings`. */
export async function buildPreviousCli(previous: PreviousRelease): Promise<void> {
  await timer(previous.timings)('tsc --build cli', () => tsc(previous.checkout, 'cli'));
  if (!existsSync(previous.cliEntry)) throw new Error(`the previous release's CLI was not built: ${previous.cliEntry} is missing`);
}

/** Runs `step`, records its seconds under `what` in `timings`, and throws with its output when it failed. */
function timer(timings: Record<string, number>) {
  return async (what: string, step: () => Promise<Result>): Promise<void> => {
    const started = Date.now();
    const result = await step();
    timings[what] = Math.round((Date.now() - started) / 100) / 10;
    expectSuccess(result, what);
  };
}

/** `tsc --build PROJECT` with the checkout's own TypeScript. */
function tsc(checkout: string, project: string): Promise<Result> {
  const env = { PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, HOME: process.env['HOME'] ?? '/root' };
  return runCommand(process.execPath, [path.join(checkout, 'node_modules/typescript/bin/tsc'), '--build', project], { cwd: checkout, env, timeoutMs: 900_000 });
}

/** `git worktree remove --force CHECKOUT` (its node_modules and builds go with it), then `git worktree prune`. Never throws. */
export async function removePreviousRelease(checkout: string): Promise<void> {
  await runCommand('git', ['-C', root, 'worktree', 'remove', '--force', checkout]).catch(() => undefined);
  await runCommand('git', ['-C', root, 'worktree', 'prune']).catch(() => undefined);
}

/** What the upgrade flow needs from the deployment that the enclosing describe brought up with the previous release. */
export interface UpgradeContext {
  url: string;
  token: string;
  project: ComposeProject;
  /** The deployment folder, generated by the previous release. */
  directory: string;
  previous: PreviousRelease;
  /** The current generator's flags for this deployment (run again in the folder with `--force`). */
  generateFlags: string[];
  /** The plz images' tag (`--image-tag`), the same before and after. */
  imageTag: string;
  init(...options: string[]): Promise<unknown>;
  /** Asks compose for NGINX's published address again (a published port 0 changes at each `up`) and returns the new base URL. */
  refreshUrl(): Promise<string>;
  expectAllHealthy(): Promise<void>;
  /** Hands over the IDs of the previous release's images, for removal at the end (the upgrade moves their tags). */
  keepImages(ids: string[]): void;
}

interface Described {
  id: string;
  state: string;
  project: string;
  mlflow_run_id: string | null;
}

const terminal = ['succeeded', 'failed', 'stopped', 'error'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The job of the upgrade flow: prints a line naming its rate and how many words its input holds,
 * writes result.json (the parameters and the words) to its output, three measures with steps
 * (`loss_1` to `loss_3`) and a summary. Its project reads `file://data` (words.txt) when `input` is set.
 */
function jobFiles(project: string, input: boolean): Record<string, string> {
  return {
    'plz.config.json': JSON.stringify({ project, image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'], ...(input ? { input: 'file://data' } : {}) }),
    'data/words.txt': 'upgrade keeps everything\n',
    'main.py': [
      'import json, os',
      'config = json.load(open(os.environ["CONFIGURATION_FILE"]))',
      'rate = config["parameters"].get("rate", 1)',
      'source = os.path.join(config.get("input_directory") or "/nonexistent", "words.txt")',
      'words = open(source).read().split() if os.path.exists(source) else []',
      'print(f"upgrade job: rate {rate}, {len(words)} words in the input", flush=True)',
      'with open(os.path.join(config["output_directory"], "result.json"), "w") as out:',
      '    json.dump({"rate": rate, "words": words}, out)',
      'for step in (1, 2, 3):',
      '    with open(os.path.join(config["measures_directory"], f"loss_{step}"), "w") as measure:',
      '        json.dump(1 / (step * rate), measure)',
      'with open(config["summary_measures_path"], "w") as summary:',
      '    json.dump({"words": len(words), "rate": rate}, summary)',
    ].join('\n'),
  };
}

/** The migration names the current release ships, in order (packages/lifecycle/src/migrations/index.ts lists them). */
function currentMigrations(): string[] {
  const index = readFileSync(path.join(root, 'packages/lifecycle/src/migrations/index.ts'), 'utf8');
  return [...index.matchAll(/\['(\d{3}_[a-z0-9_]+)',/g)].map((match) => match[1]!);
}

/**
 * Issue 18, the upgrade: on a deployment generated, started and used with the previous release,
 * that release's CLI runs an execution with an input, a sweep of two and a plain execution (each with
 * logs, output and measures), and queues one more while the workers are stopped; then the current
 * generator runs again in the same folder (`--force`: the answers come from .yo-rc.json and the same
 * flags), `./init-deployment.sh`, `docker compose up -d --wait --build --remove-orphans --force-recreate`. After it
 * the database holds every current migration, every execution, log, output, measure, history and MLflow
 * run of the previous release is as it was (fields the new release added aside), the current CLI reads
 * them, and the execution queued before the upgrade runs to success. The tests after this flow run on
 * the upgraded deployment.
 */
export function upgradeFlow(context: () => UpgradeContext): void {
  let oldUser: PlzUser;
  let withInput = '';
  let plain = '';
  let queued = '';
  let queuedDir = '';
  let inputExecution = '';
  let plainExecution = '';
  let sweepExecutions: string[] = [];
  let before: Record<string, unknown> = {};
  let migrationsBefore: string[] = [];
  let oldSummary: unknown;
  let oldLog = '';
  const migrations = async (): Promise<string[]> => {
    const { stdout } = await context().project.compose(['exec', '-T', 'db', 'psql', '-X', '-At', '-U', 'postgres', '-d', 'restapi', '-c', 'SELECT name FROM knex_migrations ORDER BY id']);
    return stdout.trim().split('\n');
  };
  const described = async (id: string): Promise<Described> => {
    const { url, token } = context();
    const response = await fetch(`${url}/api/v1/executions/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`GET /api/v1/executions/${id}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Described;
  };

  it(`runs executions with the previous release (${previousRelease}): one with an input, a sweep, a plain one`, async () => {
    const { url, token, project, previous } = context();
    oldUser = new PlzUser(url, token, previous.cliEntry);
    withInput = oldUser.project(jobFiles('upgrade-input', true));
    plain = oldUser.project(jobFiles('upgrade-plain', false));
    await project.withDiagnostics(async () => {
      writeFileSync(path.join(withInput, 'parameters.json'), JSON.stringify({ rate: 2 }));
      const first = await oldUser.plz(withInput, ['run', '--parameters', 'parameters.json']);
      expectSuccess(first, 'plz run (previous release) with an input');
      inputExecution = executionIdIn(first.stdout);
      expect(first.stdout).toContain('upgrade job: rate 2, 3 words in the input');
      expect(JSON.parse(readFileSync(path.join(withInput, 'output', inputExecution, 'result.json'), 'utf8'))).toEqual({ rate: 2, words: ['upgrade', 'keeps', 'everything'] });

      writeFileSync(path.join(plain, 'grid.json'), JSON.stringify({ rate: [4, 5] }));
      const sweep = await oldUser.json<{ id: string; executions: string[] }>(plain, ['sweep', '--parameters', 'grid.json']);
      expect(sweep.executions).toHaveLength(2);
      sweepExecutions = sweep.executions;
      const second = await oldUser.plz(plain, ['run']);
      expectSuccess(second, 'plz run (previous release)');
      plainExecution = executionIdIn(second.stdout);
      expect(second.stdout).toContain('upgrade job: rate 1, 0 words in the input');
      for (let attempt = 0; ; attempt += 1) {
        const status = await oldUser.json<{ executions: Array<{ state: string }> }>(plain, ['sweep', 'status', sweep.id]);
        const states = status.executions.map((execution) => execution.state);
        if (states.every((state) => terminal.includes(state)) || attempt >= 600) {
          expect(states).toEqual(['succeeded', 'succeeded']);
          break;
        }
        await sleep(1000);
      }
      oldSummary = await oldUser.json(withInput, ['measures', '-s', inputExecution]);
      expect(oldSummary).toEqual({ words: 3, rate: 2 });
      const logs = await oldUser.plz(withInput, ['logs', '--no-follow', inputExecution]);
      expectSuccess(logs, 'plz logs (previous release)');
      oldLog = logs.stdout;
      expect(oldLog).toContain('upgrade job: rate 2, 3 words in the input');
      await settled(url, token, 120_000);
      before = await results(url, token);
      migrationsBefore = await migrations();
      expect(migrationsBefore.length).toBeGreaterThan(0);
    });
  }, 1_200_000);

  it('queues one more execution with the previous release while its workers are stopped', async () => {
    const { project, imageTag } = context();
    await project.withDiagnostics(async () => {
      await project.compose(['stop', 'worker-cpu-0', 'worker-cpu-1'], 300_000);
      queuedDir = oldUser.project(jobFiles('upgrade-queued', true));
      writeFileSync(path.join(queuedDir, 'parameters.json'), JSON.stringify({ rate: 3 }));
      const submitted = await oldUser.plz(queuedDir, ['run', '--detach', '--queue-without-worker', '--parameters', 'parameters.json']);
      expectSuccess(submitted, 'plz run --detach (previous release)');
      queued = executionIdIn(submitted.stdout);
      await sleep(5000);
      expect((await described(queued)).state).toBe('queued');
      // The upgrade moves the image tags: the previous release's images are removed at the end, by ID.
      const ids: string[] = [];
      for (const name of ['restapi', 'worker', 'mlflow']) {
        const inspected = await runCommand(dockerBinary, ['image', 'inspect', '--format', '{{.Id}}', `plz-${name}:${imageTag}`], { env: dockerEnv() });
        if (inspected.status === 0) ids.push(inspected.stdout.trim());
      }
      context().keepImages(ids);
    });
  }, 600_000);

  it('upgrades in place: the current generator again in the folder, ./init-deployment.sh, up --wait --build --remove-orphans --force-recreate; every migration applied, NGINX on the new routes', async () => {
    const { directory, generateFlags, project } = context();
    const started = Date.now();
    const step: Record<string, number> = {};
    const timed = async (what: string, action: () => Promise<unknown>) => {
      const at = Date.now();
      await action();
      step[what] = Math.round((Date.now() - at) / 100) / 10;
    };
    await project.withDiagnostics(async () => {
      await timed('generate', () => generateDeployment(directory, ['--force', ...generateFlags]));
      // What the previous release's copy held and the current one does not is gone (an image build would compile it).
      expect(existsSync(path.join(directory, 'services', 'restapi', 'src', 'migrations', '001_initial.ts'))).toBe(false);
      await timed('init', () => context().init());
      // --force-recreate: NGINX and PostgreSQL read configuration files bind-mounted from the folder,
      // which compose does not compare: without it, an NGINX whose service did not change keeps
      // serving the previous release's routes (MLflow without the identity check, seen in this test).
      await timed('up', () => project.compose(['up', '-d', '--wait', '--build', '--remove-orphans', '--force-recreate'], 1_500_000));
      const url = await context().refreshUrl();
      await context().expectAllHealthy();
      // NGINX serves the current release's routes: MLflow behind the identity check.
      expect((await fetch(`${url}/mlflow/api/2.0/mlflow/experiments/search?max_results=1`)).status).toBe(401);
      expect(migrationsBefore).toEqual(currentMigrations().slice(0, migrationsBefore.length));
      expect(await migrations()).toEqual(currentMigrations());
    });
    process.stderr.write(`upgrade flow: upgrade ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(step).map(([what, s]) => `${what} ${s} s`).join(', ')})\n`);
  }, 1_800_000);

  it('runs the execution queued before the upgrade, and keeps every execution, log, output, measure and MLflow run of the previous release', async () => {
    const { url, token, project } = context();
    const user = new PlzUser(url, token);
    try {
      await project.withDiagnostics(async () => {
        let state = '';
        for (let attempt = 0; attempt < 600; attempt += 1) {
          state = (await described(queued)).state;
          if (terminal.includes(state)) break;
          await sleep(1000);
        }
        expect(state).toBe('succeeded');
        const queuedLog = await user.plz(queuedDir, ['logs', '--no-follow', queued]);
        expect(queuedLog.stdout).toContain('upgrade job: rate 3, 3 words in the input');
        await settled(url, token, 120_000);
        const after = await results(url, token);
        // The queued execution ran after the upgrade: what it added is left out of the comparison.
        const queuedRun = (await described(queued)).mlflow_run_id;
        const executions = (after['executions'] as string[]).filter((line) => !line.startsWith(`${queued} `));
        expect(after['executions']).toHaveLength(executions.length + 1);
        const kept = Object.fromEntries(Object.entries(after).filter(([key]) => key !== queued && key !== 'history upgrade-queued'));
        kept['executions'] = executions;
        kept['mlflow experiments'] = (after['mlflow experiments'] as Array<{ name: string }>).filter((experiment) => experiment.name !== 'upgrade-queued');
        kept['mlflow runs'] = (after['mlflow runs'] as Array<{ info: { run_id: string } }>).filter((run) => run.info.run_id !== queuedRun);
        // Every field the previous release showed is the same; fields the current release adds are allowed.
        expect(kept).toMatchObject(before);
        expect(Object.keys(kept).sort()).toEqual(Object.keys(before).sort());
        // The current CLI reads what the previous one wrote.
        expect(await user.json(withInput, ['measures', '-s', inputExecution])).toEqual(oldSummary);
        const logs = await user.plz(withInput, ['logs', '--no-follow', inputExecution]);
        expect(logs.stdout).toBe(oldLog);
        const output = path.join(withInput, 'output-after-upgrade');
        expectSuccess(await user.plz(withInput, ['output', '-o', output, inputExecution]), 'plz output (current release)');
        expect(readFileSync(path.join(output, 'result.json'), 'utf8')).toBe(readFileSync(path.join(withInput, 'output', inputExecution, 'result.json'), 'utf8'));
        for (const id of [plainExecution, ...sweepExecutions]) expect((await described(id)).state).toBe('succeeded');
      });
    } finally {
      user.dispose();
      oldUser?.dispose();
    }
  }, 1_200_000);
}

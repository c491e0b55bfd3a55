import { Command } from 'commander';
import { z } from 'zod';
import { Priority, type ExecutionRecord } from '@plz/contracts';
import { readParametersFile } from '../../parameters.js';
import { openSession, priorityOption } from '../common.js';
import { followExecution } from './follow.js';
import { executionSpec, prepareSubmission } from './submit.js';

const Options = z.object({
  parameters: z.string().optional(),
  detach: z.boolean().default(false),
  outputDir: z.string().optional(),
  name: z.string().min(1).max(200).optional(),
  queueWithoutWorker: z.boolean().default(false),
  priority: Priority.optional(),
  /** `--reuse` true, `--no-reuse` false, neither: the configuration's `reuse`. */
  reuse: z.boolean().optional(),
});

/** `plz run`: snapshot the code, upload the input, submit, follow the logs, fetch the output. */
export function runCommand(): Command {
  return new Command('run')
    .description('run the job of this folder: snapshot, submit, stream the logs, download the output; exits with the job\'s status')
    .option('-p, --parameters <file>', 'JSON object passed to the job as "parameters"')
    .option('-d, --detach', 'submit and return at once')
    .option('-o, --output-dir <dir>', 'where the output goes (default output/<execution-id>)')
    .option('--name <name>', 'a name for the execution')
    .option('--queue-without-worker', 'queue even if no live worker can run it now')
    .addOption(priorityOption('"priority" in plz.config.json, else normal'))
    .option('--reuse', 'take the results of an earlier succeeded execution of yours with the same snapshot, input, parameters and resources, if any, instead of running the job (default: "reuse" in plz.config.json, else off)')
    .option('--no-reuse', 'run the job even when plz.config.json says "reuse": true')
    .action(async function (this: Command) {
      const options = Options.parse(this.opts());
      const { config, api, printer, configFiles } = openSession(this);
      const parameters = options.parameters ? readParametersFile(options.parameters) : {};
      const prepared = await prepareSubmission(config, api, printer, { configFiles, env: process.env });
      const reuse = options.reuse ?? config.reuse ?? false;
      const spec = executionSpec(config, prepared, parameters, { ...(options.name ? { name: options.name } : {}), ...(options.priority ? { priority: options.priority } : {}), queueWithoutWorker: options.queueWithoutWorker, reuse });
      const execution = await api.json<ExecutionRecord>('POST', '/api/v1/executions', { json: spec });
      if (printer.json && options.detach) printer.result(execution);
      if (execution.reused_from) printer.success(`execution ${execution.id} reused the results of execution ${execution.reused_from}: no job ran`);
      else printer.success(`execution ${execution.id} queued on ${execution.queue}${reuse ? ' (nothing to reuse)' : ''}`);
      process.exitCode = await followExecution(api, printer, execution.id, { detach: options.detach, quietBuild: config.quiet_build, ...(options.outputDir ? { outputDir: options.outputDir } : {}) });
    });
}

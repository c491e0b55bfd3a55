import { Command } from 'commander';
import { z } from 'zod';
import { Priority, type ExecutionRecord, type RerunRequest } from '@plz/contracts';
import { readParametersFile } from '../../parameters.js';
import { executionIdOrLast, openServerSession, priorityOption } from '../common.js';
import { followExecution } from './follow.js';

const Options = z.object({ overrideParameters: z.string().optional(), detach: z.boolean().default(false), outputDir: z.string().optional(), priority: Priority.optional() });

/** `plz rerun [ID]`: the same snapshot and input again, parameters optionally replaced. */
export function rerunCommand(): Command {
  return new Command('rerun')
    .description('run an earlier execution again (same code and input), optionally with other parameters')
    .argument('[id]', 'execution id (default: your last execution)')
    .option('--override-parameters <file>', 'JSON object replacing the parameters')
    .option('-d, --detach', 'submit and return at once')
    .option('-o, --output-dir <dir>', 'where the output goes (default output/<execution-id>)')
    .addOption(priorityOption("the earlier execution's"))
    .action(async function (this: Command, id: string | undefined) {
      const options = Options.parse(this.opts());
      const { api, printer } = openServerSession(this);
      const source = await executionIdOrLast(api, id);
      const body: Partial<RerunRequest> = {
        ...(options.overrideParameters ? { parameters: readParametersFile(options.overrideParameters) } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
      };
      const execution = await api.json<ExecutionRecord>('POST', `/api/v1/executions/${source}/rerun`, { json: body });
      if (printer.json && options.detach) printer.result(execution);
      printer.success(`execution ${execution.id} queued (rerun of ${source})`);
      process.exitCode = await followExecution(api, printer, execution.id, { detach: options.detach, ...(options.outputDir ? { outputDir: options.outputDir } : {}) });
    });
}

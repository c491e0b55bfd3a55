import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { executionIdOrLast, openServerSession } from '../common.js';
import { downloadOutput } from '../jobs/follow.js';

const Options = z.object({ outputDir: z.string().optional(), path: z.string().optional(), force: z.boolean().default(false) });

/** `plz output [ID]`: download the files the job wrote to its output directory. */
export function outputCommand(): Command {
  return new Command('output')
    .description("download an execution's output files")
    .argument('[id]', 'execution id (default: your last execution)')
    .option('-o, --output-dir <dir>', 'destination (default output/<execution-id>)')
    .option('--path <path>', 'only this file or folder of the output')
    .option('-f, --force', 'write into a folder that is not empty')
    .action(async function (this: Command, id: string | undefined) {
      const options = Options.parse(this.opts());
      const { api, printer } = openServerSession(this);
      const executionId = await executionIdOrLast(api, id);
      const destination = path.resolve(options.outputDir ?? path.join('output', executionId));
      const files = await downloadOutput(api, printer, executionId, destination, { ...(options.path ? { path: options.path } : {}), force: options.force });
      printer.result({ id: executionId, destination, files }, `${files} file${files === 1 ? '' : 's'} in ${destination}`);
    });
}

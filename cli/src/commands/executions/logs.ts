import { Command } from 'commander';
import { z } from 'zod';
import { executionIdOrLast, openSession } from './common.js';
import { streamLogs } from './follow.js';

const Options = z.object({
  since: z.union([z.literal('start'), z.string().datetime({ offset: true })], { message: 'expected "start" or an ISO 8601 time such as 2026-11-21T10:00:00Z' }).default('start'),
  follow: z.boolean().default(true),
});

/** `plz logs [ID]`: the execution's log, following it while it runs. */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print an execution's log, following it until it ends")
    .argument('[id]', 'execution id (default: your last execution)')
    .option('--since <when>', '"start" or an ISO 8601 time', 'start')
    .option('--no-follow', 'print what there is and return')
    .action(async function (this: Command, id: string | undefined) {
      const options = Options.parse(this.opts());
      const { api, printer } = openSession(this);
      await streamLogs(api, printer, await executionIdOrLast(api, id), options);
    });
}

import { Command } from 'commander';
import { z } from 'zod';
import { parseDuration } from '../admin/duration.js';
import { executionIdOrLast, openServerSession } from '../common.js';
import { readLog, readLogTail } from './log-stream.js';

/**
 * `--since`: `start`, an ISO 8601 time, or a duration back from now (`30s`, `10m`, `2h`, `1d`).
 *
 * @returns `start` or an ISO 8601 time (the REST API's `since`).
 */
export function parseSince(text: string, now: Date = new Date()): string {
  if (text === 'start') return text;
  if (/^\d+[smhdw]$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text) * 1000).toISOString();
  if (z.iso.datetime({ offset: true }).safeParse(text).success) return text;
  throw new Error('expected "start", a duration such as 10m, 2h or 1d, or an ISO 8601 time such as 2026-11-21T10:00:00Z');
}

const Options = z.object({
  since: z.string().transform((text, context) => {
    try {
      return parseSince(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  follow: z.boolean().default(true),
  tail: z.coerce.number({ error: 'expected a whole number of lines' }).int().min(0).optional(),
});

/** `plz logs [ID]`: the execution's log, following it while it runs; `--tail N`, `--since 10m`. */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print an execution's log, following it until it ends")
    .argument('[id]', 'execution id (default: your last execution)')
    .option('--since <when>', '"start", a duration back from now (10m, 2h, 1d) or an ISO 8601 time', 'start')
    .option('-n, --tail <lines>', 'only the last N lines so far (then the new ones, when following)')
    .option('--no-follow', 'print what there is and return')
    .action(async function (this: Command, id: string | undefined) {
      const options = Options.parse(this.opts());
      const { api, printer } = openServerSession(this);
      const executionId = await executionIdOrLast(api, id);
      const lines: string[] = [];
      // With --json the log is gathered into one document: {id, lines}.
      const out = printer.json ? (line: string) => void lines.push(line.replace(/\n$/, '')) : (line: string) => printer.log(line);
      const read = { since: options.since, follow: options.follow };
      if (options.tail === undefined) await readLog(api, executionId, out, read);
      else await readLogTail(api, executionId, out, { ...read, tail: options.tail });
      if (printer.json) printer.result({ id: executionId, lines });
    });
}

import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { Priority, SweepParameters, type SweepCreated, type SweepStatus, type SweepStopResult } from '@plz/contracts';
import { downloadTar } from '../../api/transfer.js';
import { UsageError } from '../../errors.js';
import { readJsonFile } from '../../parameters.js';
import { openSession, priorityOption } from '../common.js';
import { executionSpec, prepareSubmission } from './submit.js';

const uuid = z.string().uuid({ message: 'expected a sweep id (a UUID, as plz sweep printed)' });

/** Reads a sweep's parameters: a JSON list of objects, or a grid (object of lists). */
function readSweepParameters(file: string): SweepParameters {
  const parsed = SweepParameters.safeParse(readJsonFile(file, 'sweep parameters file'));
  if (!parsed.success) {
    throw new UsageError(`${file}: not a list of parameter objects nor a grid (${parsed.error.issues[0]?.message})`, 'write [{"lr": 0.1}, {"lr": 0.01}], or a grid such as {"lr": [0.1, 0.01]}', 'parameters');
  }
  return parsed.data;
}

/** `plz sweep`: one execution per parameter set (a list or a grid), and `sweep status|output|stop ID`. */
export function sweepCommand(): Command {
  const sweep = new Command('sweep')
    .description('run the job once per parameter set (a JSON list of objects, or a grid of lists)')
    .option('-p, --parameters <file>', 'the parameter sets')
    .option('--queue-without-worker', 'queue even if no live worker can run them now')
    .addOption(priorityOption('"priority" in plz.config.json, else normal'))
    .action(async function (this: Command) {
      const { parameters, queueWithoutWorker, priority } = z
        .object({ parameters: z.string({ message: '--parameters FILE is required' }), queueWithoutWorker: z.boolean().default(false), priority: Priority.optional() })
        .parse(this.opts());
      const sets = readSweepParameters(parameters);
      const { config, api, printer, configFiles } = openSession(this);
      const prepared = await prepareSubmission(config, api, printer, { configFiles, env: process.env });
      const { parameters: _unused, ...spec } = executionSpec(config, prepared, {}, { queueWithoutWorker, ...(priority ? { priority } : {}) });
      const created = await api.json<SweepCreated>('POST', '/api/v1/sweeps', { json: { ...spec, parameters: sets } });
      printer.result(created, `sweep ${created.id}: ${created.executions.length} executions queued\nfollow it with "plz sweep status ${created.id}"`);
    });
  sweep.addCommand(
    new Command('status').argument('<sweep-id>').description("show the state of each of the sweep's executions").action(async function (this: Command, id: string) {
      const { api, printer } = openSession(this);
      const status = await api.json<SweepStatus>('GET', `/api/v1/sweeps/${uuid.parse(id)}`);
      const lines = status.executions.map((e) => `${e.id}  ${e.state.padEnd(10)}  ${JSON.stringify(e.parameters)}`);
      printer.result(status, [...lines, Object.entries(status.counts).map(([state, n]) => `${n} ${state}`).join(', ')].join('\n'));
    }),
  );
  sweep.addCommand(
    new Command('output')
      .argument('<sweep-id>')
      .option('-o, --output-dir <dir>', 'destination (default output/<sweep-id>)')
      .description("download every execution's output, one folder per execution id")
      .action(async function (this: Command, id: string) {
        const { outputDir } = z.object({ outputDir: z.string().optional() }).parse(this.opts());
        const { api, printer } = openSession(this);
        const destination = path.resolve(outputDir ?? path.join('output', uuid.parse(id)));
        const files = await downloadTar(api, `/api/v1/sweeps/${id}/output`, {}, destination, printer.progress);
        printer.result({ id, destination, files }, `${files} files in ${destination}`);
      }),
  );
  sweep.addCommand(
    new Command('stop').argument('<sweep-id>').description("stop every execution of the sweep that has not ended").action(async function (this: Command, id: string) {
      const { api, printer } = openSession(this);
      const result = await api.json<SweepStopResult>('POST', `/api/v1/sweeps/${uuid.parse(id)}/stop`);
      printer.result(result, `${result.results.length} executions stopped or signalled`);
    }),
  );
  return sweep;
}

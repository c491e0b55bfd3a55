#!/usr/bin/env node
// The `plz` command: registers the commands (program.ts) and exits with the chosen status.
// It loads only what the command asked for needs (program.ts, commandVerb): nothing here imports
// the configuration's schemas, zod or a command's modules at start.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rerunWithCaFile } from './ca.js';
import { commandVerb, main } from './program.js';

export { buildProgram, commandVerb, main } from './program.js';

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // For memory tests and benchmarks: the process's peak resident set size, on stderr at exit.
  if (process.env['PLZ_REPORT_MAX_RSS']) process.once('exit', () => process.stderr.write(`plz: max RSS ${process.resourceUsage().maxRSS * 1024} bytes\n`));
  // `plz --version` talks to no deployment: no CA to trust first.
  const rerun = commandVerb(process.argv) === 'none' ? undefined : await rerunWithCaFile(process.argv);
  process.exitCode = rerun ?? (await main(process.argv));
}

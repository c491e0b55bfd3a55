#!/usr/bin/env node
// The `plz` command: registers the commands (program.ts) and exits with the chosen status.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rerunWithCaFile } from './ca.js';
import { main } from './program.js';

export { buildProgram, main } from './program.js';
export { parseInputUri } from './input.js';
export { loadConfig, ConfigError } from './config/load.js';

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // For memory tests and benchmarks: the process's peak resident set size, on stderr at exit.
  if (process.env['PLZ_REPORT_MAX_RSS']) process.once('exit', () => process.stderr.write(`plz: max RSS ${process.resourceUsage().maxRSS * 1024} bytes\n`));
  process.exitCode = (await rerunWithCaFile(process.argv)) ?? (await main(process.argv));
}

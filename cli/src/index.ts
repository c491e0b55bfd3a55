#!/usr/bin/env node
// The `plz` command. Commands are registered in later work (issue: the plz CLI); for now it
// answers --version and --help.
import { parseInputUri } from './input.js';

export { parseInputUri };

const args = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}` && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write('0.1.0\n');
}

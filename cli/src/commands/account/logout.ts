import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { userConfigFile } from '../../config/load.js';
import { readUserConfig, updateUserConfig } from '../../config/user.js';
import { Printer } from '../../output.js';
import { globalOptions } from '../common.js';

/**
 * `plz logout`: removes `url` and `token` from the user configuration file (other keys stay).
 * The token itself stays valid on the deployment (an admin revokes it: plz admin tokens revoke).
 */
export function logoutCommand(): Command {
  return new Command('logout')
    .description('forget the deployment URL and token stored by plz login (the token stays valid until revoked)')
    .action(function (this: Command) {
      const printer = new Printer(Boolean(globalOptions(this).json));
      const file = userConfigFile({ env: process.env });
      const before = readUserConfig(file);
      const url = typeof before['url'] === 'string' ? before['url'] : null;
      const had = 'url' in before || 'token' in before;
      if (had && existsSync(file)) updateUserConfig(file, {}, ['url', 'token']);
      printer.result({ url, file, logged_out: had }, had ? `logged out of ${url ?? 'the deployment'} (url and token removed from ${file})` : `not logged in (nothing in ${file})`);
      if (process.env['PLZ_TOKEN'] || process.env['PLZ_URL']) printer.warn('PLZ_URL or PLZ_TOKEN is set in your environment: plz still uses them');
    });
}

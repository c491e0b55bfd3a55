import { Command } from 'commander';
import type { Identity } from '@plz/contracts';
import { openServerSession } from '../common.js';

/** `plz whoami`: the token's user and role, and the deployment (in any folder). */
export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('show who you are logged in as, and where')
    .action(async function (this: Command) {
      const { config, api, printer } = openServerSession(this);
      const me = await api.json<Identity>('GET', '/api/v1/me');
      printer.result({ ...me, url: config.url }, `${me.name} (${me.role}) at ${config.url}`);
    });
}

import { Command } from 'commander';
import { tokensCommand } from './tokens.js';
import { usersCommand } from './users.js';

/**
 * `plz admin`: users and tokens of the deployment, for admins. Needs no project: url and token
 * come from PLZ_URL/PLZ_TOKEN or ~/.config/plz/plz.config.json, in any folder.
 */
export function adminCommand(): Command {
  return new Command('admin').description("manage the team's users and API tokens (needs an admin token)").addCommand(usersCommand()).addCommand(tokensCommand());
}

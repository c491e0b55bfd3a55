import { Command } from 'commander';
import { UserName, type UpdateUserRequest, type User } from '@plz/contracts';
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { openServerSession } from '../common.js';
import { asAdmin } from './access.js';
import { parseHighPriorityAllowance } from './allowance.js';
import { userLine, usersTable } from './format.js';

const NameArgument = z.object({ name: UserName });

const SetOptions = z.object({ highPriorityAllowance: z.string().optional() });

/** The body of `plz admin users set`, or a UsageError naming the option (none given, or a bad value). */
function updateRequest(options: z.infer<typeof SetOptions>): UpdateUserRequest {
  if (options.highPriorityAllowance === undefined) throw new UsageError('nothing to set: give --high-priority-allowance N (a whole number, or default)');
  try {
    return { high_priority_allowance: parseHighPriorityAllowance(options.highPriorityAllowance) };
  } catch (error) {
    throw new UsageError(`--high-priority-allowance: ${(error as Error).message}`);
  }
}

/** `plz admin users add|list|set|disable|enable`: the team's accounts (admin token needed). */
export function usersCommand(): Command {
  const users = new Command('users').description("manage the team's users (needs an admin token)");

  users.addCommand(
    new Command('add')
      .description('create a user (then give them a token: plz admin tokens create NAME)')
      .argument('<name>', 'user name: lowercase letters, digits, ".", "_", "-", starting with a letter')
      .option('--admin', 'an admin (may manage users and tokens) rather than a plain user')
      .action(async function (this: Command, name: string) {
        const options = z.object({ admin: z.boolean().default(false) }).parse(this.opts());
        const body = { name: NameArgument.parse({ name }).name, role: options.admin ? 'admin' : 'user' };
        const { api, printer } = openServerSession(this);
        const user = await asAdmin(api.json<User>('POST', '/api/v1/users', { json: body }));
        printer.result(user, `created ${user.role === 'admin' ? 'admin' : 'user'} ${user.name}; give them a token with: plz admin tokens create ${user.name}`);
      }),
  );

  users.addCommand(
    new Command('list').description('list every user, disabled ones included').action(async function (this: Command) {
      const { api, printer } = openServerSession(this);
      const answer = await asAdmin(api.json<{ users: User[] }>('GET', '/api/v1/users'));
      printer.result(answer, usersTable(answer.users));
    }),
  );

  users.addCommand(
    new Command('set')
      .description("change a user's settings: their own allowance of high-priority executions per fair-share window")
      .argument('<name>', 'user name')
      .option('--high-priority-allowance <n>', "high-priority executions per window: a whole number (0: none), or default for the deployment's HIGH_PRIORITY_ALLOWANCE")
      .action(async function (this: Command, name: string) {
        const body = updateRequest(SetOptions.parse(this.opts()));
        const user = NameArgument.parse({ name }).name;
        const { api, printer } = openServerSession(this);
        const answer = await asAdmin(api.json<User>('PATCH', `/api/v1/users/${user}`, { json: body }));
        printer.result(answer, userLine(answer));
      }),
  );

  users.addCommand(
    new Command('disable')
      .description("disable a user: their tokens and browser sessions stop working within 5 s (nothing is deleted)")
      .argument('<name>', 'user name')
      .action(async function (this: Command, name: string) {
        const user = NameArgument.parse({ name }).name;
        const { api, printer } = openServerSession(this);
        const answer = await asAdmin(api.json<User>('POST', `/api/v1/users/${user}/disable`));
        printer.result(answer, `${answer.name} is disabled: their tokens and browser sessions stop working within 5 s (undo with: plz admin users enable ${answer.name})`);
      }),
  );

  users.addCommand(
    new Command('enable')
      .description('enable a disabled user again: their tokens that are neither revoked nor expired work again')
      .argument('<name>', 'user name')
      .action(async function (this: Command, name: string) {
        const user = NameArgument.parse({ name }).name;
        const { api, printer } = openServerSession(this);
        const answer = await asAdmin(api.json<User>('POST', `/api/v1/users/${user}/enable`));
        printer.result(answer, `${answer.name} is enabled: their tokens that are neither revoked nor expired work again`);
      }),
  );

  return users;
}

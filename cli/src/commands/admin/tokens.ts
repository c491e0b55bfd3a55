import { Command } from 'commander';
import { UserName, type CreatedToken, type CreateTokenRequest, type Identity, type TokenInfo } from '@plz/contracts';
import { z } from 'zod';
import { UsageError } from '../../errors.js';
import { openServerSession } from '../common.js';
import { asAdmin } from './access.js';
import { instantAfter, parseDuration } from './duration.js';
import { createdTokenText, defaultTokenName, tokensTable } from './format.js';

const UserArgument = z.object({ user: UserName });
const TokenIdArgument = z.object({ token_id: z.uuid({ error: 'expected a token id (a UUID, as plz admin tokens list USER shows it)' }) });

const CreateOptions = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  expiresIn: z.string().optional(),
});

/** `--expires-in` as seconds, or a UsageError naming the option. */
function expiresIn(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--expires-in: ${(error as Error).message}`);
  }
}

/** `plz admin tokens create|list|revoke`: API tokens of the team's users (admin token needed). */
export function tokensCommand(): Command {
  const tokens = new Command('tokens').description("manage users' API tokens (needs an admin token)");

  tokens.addCommand(
    new Command('create')
      .description('create an API token for a user and print it (the only time it is shown)')
      .argument('<user>', 'the user the token logs in as')
      .option('--name <label>', 'a label, e.g. the machine it goes to (default: "created by <you> on <date>")')
      .option('--expires-in <duration>', 'stop working after this long: 3600s, 90m, 12h, 30d, 2w (default: until revoked)')
      .action(async function (this: Command, user: string) {
        const options = CreateOptions.parse(this.opts());
        const name = UserArgument.parse({ user }).user;
        const seconds = options.expiresIn === undefined ? undefined : expiresIn(options.expiresIn);
        const { api, printer } = openServerSession(this);
        const label = options.name ?? defaultTokenName((await api.json<Identity>('GET', '/api/v1/me')).name);
        const body: CreateTokenRequest = { name: label, ...(seconds === undefined ? {} : { expires_at: instantAfter(seconds) }) };
        const created = await asAdmin(api.json<CreatedToken>('POST', `/api/v1/users/${name}/tokens`, { json: body }));
        printer.result(created, createdTokenText(created, api.baseUrl));
      }),
  );

  tokens.addCommand(
    new Command('list')
      .description("list a user's tokens (never their text): state, expiry, last use, label")
      .argument('<user>', 'user name')
      .action(async function (this: Command, user: string) {
        const name = UserArgument.parse({ user }).user;
        const { api, printer } = openServerSession(this);
        const answer = await asAdmin(api.json<{ tokens: TokenInfo[] }>('GET', `/api/v1/users/${name}/tokens`));
        printer.result(answer, tokensTable(name, answer.tokens));
      }),
  );

  tokens.addCommand(
    new Command('revoke')
      .description('revoke a token at once (its id from plz admin tokens list USER)')
      .argument('<token-id>', 'the token id')
      .action(async function (this: Command, tokenId: string) {
        const id = TokenIdArgument.parse({ token_id: tokenId }).token_id.toLowerCase();
        const { api, printer } = openServerSession(this);
        await asAdmin(api.request('DELETE', `/api/v1/tokens/${id}`));
        printer.result({ id, revoked: true }, `token ${id} revoked: it is refused from now on`);
      }),
  );

  return tokens;
}

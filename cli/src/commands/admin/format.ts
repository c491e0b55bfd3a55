import type { CreatedToken, TokenInfo, User } from '@plz/contracts';
import { formatInstant, formatTable } from '../../output.js';
import { formatHighPriorityAllowance } from './allowance.js';

/** Whether a token still works: `revoked` and `expired` ones are refused by the REST API. */
export function tokenState(token: TokenInfo, now: Date = new Date()): 'active' | 'revoked' | 'expired' {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && new Date(token.expires_at).getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Whether the user is `active` or `disabled since <instant>`. */
function userState(user: User): string {
  return user.disabled_at ? `disabled since ${formatInstant(user.disabled_at)}` : 'active';
}

/**
 * `plz admin users list` for people: name, role, creation, allowance of high-priority executions
 * per window (`default`: the deployment's; `unlimited`: an admin) and whether the user is disabled.
 */
export function usersTable(users: readonly User[]): string {
  if (users.length === 0) return 'no users';
  return formatTable(
    ['NAME', 'ROLE', 'CREATED', 'HIGH ALLOWANCE', 'STATE'],
    users.map((user) => [user.name, user.role, formatInstant(user.created_at), formatHighPriorityAllowance(user), userState(user)]),
  );
}

/**
 * `plz admin users set` for people: the user on one line with their allowance of high-priority
 * executions per fair-share window (`alice (user, active): high-priority allowance 2 per window`).
 */
export function userLine(user: User): string {
  const allowance =
    user.role === 'admin'
      ? 'no limit on high priority (an admin)'
      : typeof user.high_priority_allowance === 'number'
        ? `high-priority allowance ${user.high_priority_allowance} per window`
        : "high-priority allowance: the deployment's (HIGH_PRIORITY_ALLOWANCE)";
  return `${user.name} (${user.role}, ${userState(user)}): ${allowance}`;
}

/** `plz admin tokens list` for people: one line per token, revoked and expired ones included. */
export function tokensTable(user: string, tokens: readonly TokenInfo[], now: Date = new Date()): string {
  if (tokens.length === 0) return `${user} has no tokens`;
  return formatTable(
    ['ID', 'STATE', 'EXPIRES', 'LAST USED', 'CREATED', 'NAME'],
    tokens.map((token) => {
      const state = tokenState(token, now);
      return [token.id, state === 'revoked' ? `revoked ${formatInstant(token.revoked_at)}` : state, token.expires_at ? formatInstant(token.expires_at) : 'never', formatInstant(token.last_used_at), formatInstant(token.created_at), token.name];
    }),
  );
}

/** The default label of a token: who created it and when (`created by admin on 2026-11-29`). */
export function defaultTokenName(caller: string, now: Date = new Date()): string {
  return `created by ${caller} on ${now.toISOString().slice(0, 10)}`;
}

/**
 * `plz admin tokens create` for people: the token on a line of its own (shown this once only) and
 * how its user puts it to use with the deployment at `url`.
 */
export function createdTokenText(created: CreatedToken, url: string): string {
  const expiry = created.expires_at ? `expires ${formatInstant(created.expires_at)}` : 'no expiry';
  return [
    `token for ${created.user} (id ${created.id}, "${created.name}", ${expiry}):`,
    '',
    `  ${created.token}`,
    '',
    'It is shown only this once: pass it on now, to its user only.',
    `${created.user} uses it by setting PLZ_URL=${url} and PLZ_TOKEN=<token>,`,
    `or by putting {"url": "${url}", "token": "<token>"} in ~/.config/plz/plz.config.json.`,
    `Revoke it with: plz admin tokens revoke ${created.id}`,
  ].join('\n');
}

import type { TokensRepository } from '../../repositories/tokens.js';
import type { UsersRepository } from '../../repositories/users.js';
import { hashToken } from './tokens.js';

/** Name of the first admin, created at start from BOOTSTRAP_ADMIN_TOKEN_FILE. */
export const bootstrapAdminName = 'admin';

/** Shortest bootstrap token accepted (init-deployment.sh writes 32 random bytes). */
export const minBootstrapTokenLength = 32;

/**
 * Makes sure the user `admin` exists with role admin and owns a token with the sha256 of `token`
 * (the content of BOOTSTRAP_ADMIN_TOKEN_FILE). Idempotent: safe at every start and on replicas
 * starting at once.
 *
 * @throws Error when the token is too short, or when it already belongs to another user.
 */
export async function bootstrapAdmin(users: UsersRepository, tokens: TokensRepository, token: string): Promise<void> {
  if (token.length < minBootstrapTokenLength) {
    throw new Error(`the bootstrap admin token is too short (${token.length} characters, at least ${minBootstrapTokenLength})`);
  }
  const admin = await users.ensure(bootstrapAdminName, 'admin');
  const hash = hashToken(token);
  await tokens.ensure(admin.id, 'bootstrap', hash);
  const owner = await tokens.findIdentity(hash);
  if (owner && owner.id !== admin.id) throw new Error(`the bootstrap admin token belongs to user ${owner.name}, not ${bootstrapAdminName}`);
}

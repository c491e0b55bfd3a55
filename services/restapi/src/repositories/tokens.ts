import type { Identity, TokenInfo, UserRole } from '@plz/contracts';
import type { Knex } from 'knex';
import { isUniqueViolation, iso } from './database.js';

interface TokenRow {
  id: string;
  name: string;
  user: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date | null;
}

const toToken = (row: TokenRow): TokenInfo => ({
  id: row.id,
  name: row.name,
  user: row.user,
  created_at: iso(row.created_at)!,
  last_used_at: iso(row.last_used_at),
  revoked_at: iso(row.revoked_at),
  expires_at: iso(row.expires_at),
});

/** The `tokens` table: API tokens by the sha256 of their text (never the text itself). */
export class TokensRepository {
  constructor(private readonly db: Knex) {}

  private select() {
    return this.db('tokens')
      .join('users', 'users.id', 'tokens.user_id')
      .select('tokens.id', 'tokens.name', 'users.name as user', 'tokens.created_at', 'tokens.last_used_at', 'tokens.revoked_at', 'tokens.expires_at');
  }

  /** Stores a token of `userId`, valid until `expiresAt` (null: until revoked); null when a token with this hash exists already. */
  async create(userId: string, name: string, sha256: string, expiresAt: Date | null = null): Promise<TokenInfo | null> {
    try {
      const [row] = await this.db('tokens').insert({ user_id: userId, name, token_sha256: sha256, expires_at: expiresAt }).returning('id');
      const id = (row as { id: string }).id;
      return toToken((await this.select().where('tokens.id', id).first()) as TokenRow);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** Stores the token for `userId` unless its hash is stored already (whoever owns it). */
  async ensure(userId: string, name: string, sha256: string): Promise<void> {
    await this.db('tokens').insert({ user_id: userId, name, token_sha256: sha256 }).onConflict('token_sha256').ignore();
  }

  /**
   * The identity owning an unrevoked, unexpired token with this hash, when its user is not
   * disabled, with the token's id and expiry; null otherwise.
   */
  async findIdentity(sha256: string): Promise<(Identity & { tokenId: string; expiresAt: Date | null }) | null> {
    const row = (await this.db('tokens')
      .join('users', 'users.id', 'tokens.user_id')
      .where({ 'tokens.token_sha256': sha256 })
      .whereNull('tokens.revoked_at')
      .where((q) => q.whereNull('tokens.expires_at').orWhere('tokens.expires_at', '>', this.db.fn.now()))
      .whereNull('users.disabled_at')
      .first('users.id as id', 'users.name as name', 'users.role as role', 'tokens.id as tokenId', 'tokens.expires_at as expiresAt')) as
      | { id: string; name: string; role: UserRole; tokenId: string; expiresAt: Date | null }
      | undefined;
    return row ?? null;
  }

  /** Tokens of the user (revoked ones too), oldest first. */
  async listForUser(userId: string): Promise<TokenInfo[]> {
    const rows = (await this.select().where('tokens.user_id', userId).orderBy('tokens.created_at')) as TokenRow[];
    return rows.map(toToken);
  }

  /** Marks the token revoked; false when no unrevoked token has this id. */
  async revoke(id: string): Promise<boolean> {
    const count = await this.db('tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: this.db.fn.now() });
    return count > 0;
  }

  /** Records that the token was used now. */
  async touch(id: string): Promise<void> {
    await this.db('tokens').where({ id }).update({ last_used_at: this.db.fn.now() });
  }
}

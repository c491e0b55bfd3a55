import type { Identity, UserRole } from '@plz/contracts';
import type { Knex } from 'knex';

/** An identity as found through a session or a login link, with the row's id. */
export type FoundIdentity = Identity & { rowId: string };

interface IdentityRow {
  id: string;
  name: string;
  role: UserRole;
  rowId: string;
  expiresAt: Date;
}

/**
 * The `sessions` table (browser sessions, by the sha256 of the cookie's secret) and the
 * `login_links` table (one-time links, by the sha256 of their code).
 */
export class SessionsRepository {
  constructor(private readonly db: Knex) {}

  /** Stores a session of `userId` lasting until `expiresAt`; returns its id. */
  async create(userId: string, secretSha256: string, expiresAt: Date): Promise<string> {
    const [row] = await this.db('sessions').insert({ user_id: userId, secret_sha256: secretSha256, expires_at: expiresAt }).returning('id');
    return (row as { id: string }).id;
  }

  /** The identity of a session that is not ended nor expired, whose user is not disabled, with the session's expiry; null otherwise. */
  async findIdentity(secretSha256: string): Promise<(FoundIdentity & { expiresAt: Date }) | null> {
    const row = (await this.db('sessions')
      .join('users', 'users.id', 'sessions.user_id')
      .where({ 'sessions.secret_sha256': secretSha256 })
      .whereNull('sessions.ended_at')
      .where('sessions.expires_at', '>', this.db.fn.now())
      .whereNull('users.disabled_at')
      .first('users.id as id', 'users.name as name', 'users.role as role', 'sessions.id as rowId', 'sessions.expires_at as expiresAt')) as IdentityRow | undefined;
    return row ?? null;
  }

  /** Ends the session (logout); false when no open session has this hash. */
  async end(secretSha256: string): Promise<boolean> {
    return (await this.db('sessions').where({ secret_sha256: secretSha256 }).whereNull('ended_at').update({ ended_at: this.db.fn.now() })) > 0;
  }

  /** Stores a one-time login link of `userId` to `next`, usable until `expiresAt`. */
  async createLink(userId: string, codeSha256: string, next: string, expiresAt: Date): Promise<void> {
    await this.db('login_links').insert({ user_id: userId, code_sha256: codeSha256, next, expires_at: expiresAt });
  }

  /**
   * Uses up the login link with this hash, in one conditional UPDATE (two browsers opening it at
   * once: one wins): its user's identity and `next`, or null when it is unknown, used, expired, or
   * its user is disabled.
   */
  async consumeLink(codeSha256: string): Promise<{ identity: FoundIdentity; next: string } | null> {
    const [used] = (await this.db('login_links')
      .where({ code_sha256: codeSha256 })
      .whereNull('used_at')
      .where('expires_at', '>', this.db.fn.now())
      .update({ used_at: this.db.fn.now() })
      .returning(['id', 'user_id', 'next'])) as { id: string; user_id: string; next: string }[];
    if (!used) return null;
    const user = (await this.db('users').where({ id: used.user_id }).whereNull('disabled_at').first('id', 'name', 'role')) as
      | { id: string; name: string; role: UserRole }
      | undefined;
    return user ? { identity: { ...user, rowId: used.id }, next: used.next } : null;
  }

  /** Deletes sessions and links that expired more than `graceDays` ago (housekeeping); returns how many. */
  async prune(graceDays = 7): Promise<number> {
    const before = this.db.raw(`now() - make_interval(days => ?)`, [graceDays]);
    const sessions = await this.db('sessions').where('expires_at', '<', before).delete();
    const links = await this.db('login_links').where('expires_at', '<', before).delete();
    return sessions + links;
  }
}

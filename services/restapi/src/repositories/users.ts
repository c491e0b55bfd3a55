import type { User, UserRole } from '@plz/contracts';
import type { Knex } from 'knex';
import { isUniqueViolation, iso } from './database.js';

interface UserRow {
  id: string;
  name: string;
  role: UserRole;
  created_at: Date;
  disabled_at: Date | null;
  high_priority_allowance: number | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  role: row.role,
  created_at: iso(row.created_at)!,
  disabled_at: iso(row.disabled_at),
  high_priority_allowance: row.high_priority_allowance,
});

/** The `users` table. */
export class UsersRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts a user; null when the name is taken. */
  async create(name: string, role: UserRole): Promise<User | null> {
    try {
      const [row] = await this.db<UserRow>('users').insert({ name, role }).returning('*');
      return toUser(row as UserRow);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** Inserts the user, or gives the existing one of that name this role; returns it as stored. */
  async ensure(name: string, role: UserRole): Promise<User> {
    await this.db('users').insert({ name, role }).onConflict('name').merge(['role']);
    const found = await this.findByName(name);
    if (!found) throw new Error(`user ${name} vanished while being created`);
    return found;
  }

  /** The user with this name, or null. */
  async findByName(name: string): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ name }).first();
    return row ? toUser(row) : null;
  }

  /**
   * Disables the user now (`disabled`), or enables them again; returns the user as stored, or null
   * when no user has this name. Disabling a disabled user keeps its first `disabled_at`.
   */
  async setDisabled(name: string, disabled: boolean): Promise<User | null> {
    const [row] = await this.db<UserRow>('users')
      .where({ name })
      .update({ disabled_at: disabled ? this.db.raw('COALESCE(disabled_at, now())') : null })
      .returning('*');
    return row ? toUser(row as UserRow) : null;
  }

  /**
   * Sets the user's own allowance of `high` executions per fair-share window (a whole number
   * >= 0; the column's CHECK refuses less), or clears it (null: the deployment's); returns the
   * user as stored, or null when no user has this name.
   */
  async setHighPriorityAllowance(name: string, allowance: number | null): Promise<User | null> {
    const [row] = await this.db<UserRow>('users').where({ name }).update({ high_priority_allowance: allowance }).returning('*');
    return row ? toUser(row as UserRow) : null;
  }

  /** The user's own allowance of `high` executions per window (`users.high_priority_allowance`), or null: the deployment's. */
  async highPriorityAllowance(id: string): Promise<number | null> {
    const row = (await this.db('users').where({ id }).first('high_priority_allowance')) as { high_priority_allowance: number | null } | undefined;
    return row?.high_priority_allowance ?? null;
  }

  /** Every user, by name. */
  async list(): Promise<User[]> {
    const rows = await this.db<UserRow>('users').orderBy('name');
    return rows.map(toUser);
  }
}

import type { CreatedToken, CreateTokenRequest, CreateUserRequest, TokenInfo, UpdateUserRequest, User } from '@plz/contracts';
import { AppError, notFound } from '../../errors.js';
import type { TokensRepository } from '../../repositories/tokens.js';
import type { UsersRepository } from '../../repositories/users.js';
import { generateToken, hashToken } from './tokens.js';

/** Admin use cases: users and their API tokens. */
export class UserAdmin {
  /** @param onRevoke called after a token is revoked (the authenticator forgets cached identities). */
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: TokensRepository,
    private readonly onRevoke: () => void = () => undefined,
  ) {}

  /** Creates a user. @throws AppError `conflict` when the name is taken. */
  async createUser(request: CreateUserRequest): Promise<User> {
    const user = await this.users.create(request.name, request.role);
    if (!user) throw new AppError('conflict', `a user named ${request.name} exists already`);
    return user;
  }

  /**
   * Disables a user (their tokens and browser sessions stop working at once here, within the
   * authenticator's cache window on other replicas), or enables them again. Their executions and
   * tokens are kept. @throws AppError `not_found` for an unknown user.
   */
  async setDisabled(name: string, disabled: boolean): Promise<User> {
    const user = await this.users.setDisabled(name, disabled);
    if (!user) throw notFound('user', name);
    if (disabled) this.onRevoke();
    return user;
  }

  /**
   * Changes a user's settings: `high_priority_allowance`, their own allowance of `high`
   * executions per fair-share window (null: the deployment's HIGH_PRIORITY_ALLOWANCE). It applies
   * to their next submission; what they submitted in the window counts against it.
   * @returns the user as stored now. @throws AppError `not_found` for an unknown user.
   */
  async updateUser(name: string, request: UpdateUserRequest): Promise<User> {
    const user = await this.users.setHighPriorityAllowance(name, request.high_priority_allowance);
    if (!user) throw notFound('user', name);
    return user;
  }

  /** Every user, by name. */
  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  private async user(name: string): Promise<User> {
    const user = await this.users.findByName(name);
    if (!user) throw notFound('user', name);
    return user;
  }

  /**
   * Creates an API token for the user, valid until `request.expires_at` when given (else until
   * revoked); the answer is the only place the token ever appears.
   * @throws AppError `not_found` for an unknown user, `validation_failed` for an expiry in the past.
   */
  async createToken(userName: string, request: CreateTokenRequest): Promise<CreatedToken> {
    const expiresAt = request.expires_at === undefined ? null : new Date(request.expires_at);
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new AppError('validation_failed', `the token would expire in the past (${request.expires_at})`, [{ path: 'body.expires_at', message: 'must be in the future' }]);
    }
    const user = await this.user(userName);
    const token = generateToken();
    const info = await this.tokens.create(user.id, request.name, hashToken(token), expiresAt);
    if (!info) throw new AppError('conflict', 'token collision, try again');
    return { ...info, token };
  }

  /** Tokens of the user (without their text). @throws AppError `not_found` for an unknown user. */
  async listTokens(userName: string): Promise<TokenInfo[]> {
    return this.tokens.listForUser((await this.user(userName)).id);
  }

  /** Revokes a token at once. @throws AppError `not_found` when no unrevoked token has this id. */
  async revokeToken(id: string): Promise<void> {
    if (!(await this.tokens.revoke(id))) throw notFound('token', id);
    this.onRevoke();
  }
}

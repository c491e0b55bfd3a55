import type { CreatedToken, CreateTokenRequest, CreateUserRequest, TokenInfo, User } from '@plz/contracts';
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
   * Creates an API token for the user; the answer is the only place the token ever appears.
   * @throws AppError `not_found` for an unknown user.
   */
  async createToken(userName: string, request: CreateTokenRequest): Promise<CreatedToken> {
    const user = await this.user(userName);
    const token = generateToken();
    const info = await this.tokens.create(user.id, request.name, hashToken(token));
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

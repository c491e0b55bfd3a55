import type { Identity } from '@plz/contracts';
import type { SessionsRepository } from '../../repositories/sessions.js';
import type { TokensRepository } from '../../repositories/tokens.js';
import { hashToken } from './tokens.js';

/** Longest bearer token or session secret looked up; longer ones cannot be ours and are refused unhashed. */
const maxSecretLength = 512;

/** Most identities remembered at once; past it the cache starts afresh. */
const maxRemembered = 10_000;

/**
 * Resolves API tokens and browser-session secrets to identities. An identity is remembered for
 * `cacheMs` (default 5 s, the deployment's AUTH_CACHE_SECONDS), which spares one PostgreSQL query
 * per request: a token revoked, a session ended or a user disabled through another replica keeps
 * working for at most `cacheMs`; through this process, `forget()` ends that at once.
 * A token's `last_used_at` is written at most once per `touchIntervalMs`, off the request's path.
 */
export class Authenticator {
  private readonly touched = new Map<string, number>();
  private readonly cache = new Map<string, { identity: Identity; until: number }>();

  constructor(
    private readonly tokens: TokensRepository,
    private readonly sessions: SessionsRepository,
    private readonly onTouchError: (error: unknown) => void = () => undefined,
    private readonly cacheMs = 5_000,
    private readonly touchIntervalMs = 60_000,
  ) {}

  /** How long an identity is remembered, ms (what a revocation elsewhere may take to bite). */
  get cacheWindowMs(): number {
    return this.cacheMs;
  }

  /** The identity owning the API `token`, or null when it is unknown, revoked, expired or its user disabled. */
  async identify(token: string): Promise<Identity | null> {
    if (token.length === 0 || token.length > maxSecretLength) return null;
    const found = await this.remembered(`token:${hashToken(token)}`, async (key) => {
      const row = await this.tokens.findIdentity(key.slice('token:'.length));
      if (!row) return null;
      const { tokenId, ...identity } = row;
      this.touch(tokenId);
      return identity;
    });
    return found;
  }

  /** The identity of a browser session by its secret (the cookie's unsigned value), or null when it is unknown, ended, expired or its user disabled. */
  async identifySession(secret: string): Promise<Identity | null> {
    if (secret.length === 0 || secret.length > maxSecretLength) return null;
    return this.remembered(`session:${hashToken(secret)}`, async (key) => {
      const row = await this.sessions.findIdentity(key.slice('session:'.length));
      if (!row) return null;
      const { rowId: _rowId, ...identity } = row;
      return identity;
    });
  }

  /** Forgets every remembered identity (after a revocation, a logout or a user disabled). */
  forget(): void {
    this.cache.clear();
  }

  private async remembered(key: string, lookUp: (key: string) => Promise<Identity | null>): Promise<Identity | null> {
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.identity;
    const identity = await lookUp(key);
    if (!identity) {
      this.cache.delete(key);
      return null;
    }
    if (this.cacheMs > 0) {
      if (this.cache.size >= maxRemembered) this.cache.clear();
      this.cache.set(key, { identity, until: now + this.cacheMs });
    }
    return identity;
  }

  private touch(tokenId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(tokenId) ?? 0) < this.touchIntervalMs) return;
    this.touched.set(tokenId, now);
    if (this.touched.size > maxRemembered) this.touched.clear();
    this.tokens.touch(tokenId).catch(this.onTouchError);
  }
}

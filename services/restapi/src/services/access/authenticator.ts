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
 * working for at most `cacheMs`; through this process, `forget()` ends that at once. An expiring
 * token or session is never remembered past its expiry.
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
    return this.remembered(`token:${hashToken(token)}`, async (key) => {
      const row = await this.tokens.findIdentity(key.slice('token:'.length));
      if (!row) return null;
      const { tokenId, expiresAt, ...identity } = row;
      this.touch(tokenId);
      return { identity, expiresAt };
    });
  }

  /** The identity of a browser session by its secret (the cookie's unsigned value), or null when it is unknown, ended, expired or its user disabled. */
  async identifySession(secret: string): Promise<Identity | null> {
    if (secret.length === 0 || secret.length > maxSecretLength) return null;
    return this.remembered(`session:${hashToken(secret)}`, async (key) => {
      const row = await this.sessions.findIdentity(key.slice('session:'.length));
      if (!row) return null;
      const { rowId: _rowId, expiresAt, ...identity } = row;
      return { identity, expiresAt };
    });
  }

  /** Forgets every remembered identity (after a revocation, a logout or a user disabled). */
  forget(): void {
    this.cache.clear();
  }

  /** The identity under `key`, from the cache or looked up; remembered for cacheMs, never past the credential's own expiry. */
  private async remembered(key: string, lookUp: (key: string) => Promise<{ identity: Identity; expiresAt: Date | null } | null>): Promise<Identity | null> {
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.identity;
    const found = await lookUp(key);
    if (!found) {
      this.cache.delete(key);
      return null;
    }
    const until = Math.min(now + this.cacheMs, found.expiresAt?.getTime() ?? Infinity);
    if (until > now) {
      if (this.cache.size >= maxRemembered) this.cache.clear();
      this.cache.set(key, { identity: found.identity, until });
    }
    return found.identity;
  }

  private touch(tokenId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(tokenId) ?? 0) < this.touchIntervalMs) return;
    this.touched.set(tokenId, now);
    if (this.touched.size > maxRemembered) this.touched.clear();
    this.tokens.touch(tokenId).catch(this.onTouchError);
  }
}

import type { Identity } from '@plz/contracts';
import type { TokensRepository } from '../../repositories/tokens.js';
import { hashToken } from './tokens.js';

/** Longest bearer token looked up; longer ones cannot be ours and are refused unhashed. */
const maxTokenLength = 512;

/**
 * Resolves bearer tokens to identities. A token's identity is remembered for `cacheMs` (default
 * 5 s), which spares one PostgreSQL query per request; revoking a token through this process
 * forgets every remembered identity at once (another replica may honour a revoked token for up to
 * `cacheMs`). `last_used_at` is written at most once per `touchIntervalMs` per token, off the
 * request's path.
 */
export class Authenticator {
  private readonly touched = new Map<string, number>();
  private readonly cache = new Map<string, { identity: Identity & { tokenId: string }; until: number }>();

  constructor(
    private readonly tokens: TokensRepository,
    private readonly onTouchError: (error: unknown) => void = () => undefined,
    private readonly cacheMs = 5_000,
    private readonly touchIntervalMs = 60_000,
  ) {}

  /** The identity owning `token`, or null when it is unknown, revoked or its user disabled. */
  async identify(token: string): Promise<Identity | null> {
    if (token.length === 0 || token.length > maxTokenLength) return null;
    const hash = hashToken(token);
    const now = Date.now();
    let found = this.cache.get(hash);
    if (!found || found.until <= now) {
      const identity = await this.tokens.findIdentity(hash);
      if (!identity) return null;
      if (this.cache.size >= 10_000) this.cache.clear();
      found = { identity, until: now + this.cacheMs };
      if (this.cacheMs > 0) this.cache.set(hash, found);
    }
    const { tokenId, ...identity } = found.identity;
    if (now - (this.touched.get(tokenId) ?? 0) >= this.touchIntervalMs) {
      this.touched.set(tokenId, now);
      if (this.touched.size > 10_000) this.touched.clear();
      this.tokens.touch(tokenId).catch(this.onTouchError);
    }
    return identity;
  }

  /** Forgets every remembered identity (after a revocation). */
  forget(): void {
    this.cache.clear();
  }
}

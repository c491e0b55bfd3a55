import { randomBytes } from 'node:crypto';
import type { Identity, LoginLink } from '@plz/contracts';
import signature from 'cookie-signature';
import type { SessionsRepository } from '../../repositories/sessions.js';
import type { Authenticator } from './authenticator.js';
import { safeNextPath } from './next-path.js';
import { hashToken } from './tokens.js';

/** How long a one-time login link works, ms (issue: 60 s). */
export const loginLinkTtlMs = 60_000;

/** Settings of browser sessions. */
export interface SessionSettings {
  /** Key signing the cookies (SESSION_SECRET_FILE's content; at least 32 characters). */
  secret: string;
  /** How long a session lasts after logging in, ms (SESSION_TTL; default 12 h). */
  ttlMs: number;
}

/** A session just opened: the cookie's value (signed) and when it ends. */
export interface OpenedSession {
  cookieValue: string;
  expiresAt: Date;
}

/**
 * Browser sessions and one-time login links. A cookie's value is `<secret>.<HMAC-SHA256 of it>`
 * (cookie-signature, as Express signs cookies): a forged or altered cookie is refused before any
 * database query; the session row holds only the sha256 of the secret, so a copy of the database
 * opens no session. Ending a session (logout) or disabling its user stops it within the
 * authenticator's cache window.
 */
export class BrowserSessions {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly authenticator: Authenticator,
    private readonly settings: SessionSettings,
  ) {
    if (settings.secret.length < 32) throw new Error(`the session secret is too short (${settings.secret.length} characters, at least 32)`);
    if (!(settings.ttlMs > 0)) throw new Error('the session lifetime must be positive');
  }

  /** How long a new session lasts, ms. */
  get ttlMs(): number {
    return this.settings.ttlMs;
  }

  /** Opens a session for `identity` lasting the configured lifetime (and deletes sessions and links long expired). */
  async open(identity: Identity): Promise<OpenedSession> {
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.settings.ttlMs);
    await this.repository.prune();
    await this.repository.create(identity.id, hashToken(secret), expiresAt);
    return { cookieValue: signature.sign(secret, this.settings.secret), expiresAt };
  }

  /** The identity of a session cookie's value, or null when it is forged, unknown, ended, expired or its user disabled. */
  async identify(cookieValue: string): Promise<Identity | null> {
    const secret = this.unsign(cookieValue);
    return secret ? this.authenticator.identifySession(secret) : null;
  }

  /** Ends the session of this cookie's value (logout); a forged or unknown one is ignored. */
  async close(cookieValue: string): Promise<void> {
    const secret = this.unsign(cookieValue);
    if (!secret) return;
    if (await this.repository.end(hashToken(secret))) this.authenticator.forget();
  }

  /**
   * Creates a one-time link logging a browser in as `identity`, then sending it to `next` (a path
   * on the deployment; anything else becomes `/`). The link works once, for 60 s.
   */
  async createLink(identity: Identity, next: string | undefined): Promise<LoginLink> {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + loginLinkTtlMs);
    await this.repository.createLink(identity.id, hashToken(code), safeNextPath(next ?? '/'), expiresAt);
    return { path: `/login/link/${code}`, expires_at: expiresAt.toISOString() };
  }

  /** Uses up a login link's code: the identity and where to go, or null when it is unknown, used, expired or its user disabled. */
  async consumeLink(code: string): Promise<{ identity: Identity; next: string } | null> {
    if (code.length === 0 || code.length > 512) return null;
    const found = await this.repository.consumeLink(hashToken(code));
    if (!found) return null;
    const { rowId: _rowId, ...identity } = found.identity;
    return { identity, next: safeNextPath(found.next) };
  }

  private unsign(cookieValue: string): string | null {
    if (cookieValue.length === 0 || cookieValue.length > 1024) return null;
    const secret = signature.unsign(cookieValue, this.settings.secret);
    return secret === false ? null : secret;
  }
}

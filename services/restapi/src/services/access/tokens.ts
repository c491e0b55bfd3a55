import { createHash, randomBytes } from 'node:crypto';

/** Prefix of plz API tokens, so that secret scanners and people recognise them. */
export const tokenPrefix = 'plz_';

/** A new API token: `plz_` and 32 random bytes (base64url), from the system's cryptographic RNG. */
export function generateToken(): string {
  return `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
}

/** The sha256 (hex) under which a token is stored; the token itself is never stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

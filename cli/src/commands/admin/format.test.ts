import { describe, expect, it } from '@jest/globals';
import type { CreatedToken, TokenInfo, User } from '@plz/contracts';
import { createdTokenText, defaultTokenName, tokensTable, tokenState, userLine, usersTable } from './format.js';

const now = new Date('2026-11-29T12:00:00Z');
const token = (fields: Partial<TokenInfo>): TokenInfo => ({
  id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
  name: 'laptop',
  user: 'alice',
  created_at: '2026-11-01T08:00:00Z',
  last_used_at: null,
  revoked_at: null,
  expires_at: null,
  ...fields,
});

describe('tokenState', () => {
  it('tells active, expired and revoked tokens apart (revoked wins)', () => {
    expect(tokenState(token({}), now)).toBe('active');
    expect(tokenState(token({ expires_at: '2026-11-29T12:00:01Z' }), now)).toBe('active');
    expect(tokenState(token({ expires_at: '2026-11-29T12:00:00Z' }), now)).toBe('expired');
    expect(tokenState(token({ expires_at: '2026-11-01T00:00:00Z', revoked_at: '2026-11-02T00:00:00Z' }), now)).toBe('revoked');
  });
});

describe('tokensTable', () => {
  it('lists each token with its state, expiry, use and label', () => {
    const text = tokensTable('alice', [token({ last_used_at: '2026-11-28T09:15:00Z' }), token({ id: 'b', name: 'ci', expires_at: '2026-11-20T00:00:00Z' })], now);
    expect(text.split('\n')).toEqual([
      'ID                                    STATE    EXPIRES               LAST USED             CREATED               NAME',
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301  active   never                 2026-11-28 09:15 UTC  2026-11-01 08:00 UTC  laptop',
      'b                                     expired  2026-11-20 00:00 UTC  -                     2026-11-01 08:00 UTC  ci',
    ]);
    expect(tokensTable('alice', [token({ revoked_at: '2026-11-02T00:00:00Z' })], now)).toContain('revoked 2026-11-02 00:00 UTC');
    expect(tokensTable('alice', [], now)).toBe('alice has no tokens');
  });
});

describe('usersTable', () => {
  it("shows each user's allowance of high priority, and disabled users with the instant", () => {
    const users: User[] = [
      { id: '1', name: 'admin', role: 'admin', created_at: '2026-11-01T08:00:00Z', disabled_at: null, high_priority_allowance: null },
      { id: '2', name: 'bob', role: 'user', created_at: '2026-11-02T08:00:00Z', disabled_at: '2026-11-03T10:30:00Z', high_priority_allowance: null },
      { id: '3', name: 'carol', role: 'user', created_at: '2026-11-02T09:00:00Z', disabled_at: null, high_priority_allowance: 12 },
    ];
    expect(usersTable(users).split('\n')).toEqual([
      'NAME   ROLE   CREATED               HIGH ALLOWANCE  STATE',
      'admin  admin  2026-11-01 08:00 UTC  unlimited       active',
      'bob    user   2026-11-02 08:00 UTC  default         disabled since 2026-11-03 10:30 UTC',
      'carol  user   2026-11-02 09:00 UTC  12              active',
    ]);
    expect(usersTable([])).toBe('no users');
  });
});

describe('userLine', () => {
  const alice: User = { id: '2', name: 'alice', role: 'user', created_at: '2026-11-02T08:00:00Z', disabled_at: null, high_priority_allowance: 2 };

  it("says the user's own allowance, the deployment's, or that an admin has no limit", () => {
    expect(userLine(alice)).toBe('alice (user, active): high-priority allowance 2 per window');
    expect(userLine({ ...alice, high_priority_allowance: 0, disabled_at: '2026-11-03T10:30:00Z' })).toBe('alice (user, disabled since 2026-11-03 10:30 UTC): high-priority allowance 0 per window');
    expect(userLine({ ...alice, high_priority_allowance: null })).toBe("alice (user, active): high-priority allowance: the deployment's (HIGH_PRIORITY_ALLOWANCE)");
    expect(userLine({ ...alice, name: 'carol', role: 'admin' })).toBe('carol (admin, active): no limit on high priority (an admin)');
  });
});

describe('created tokens', () => {
  it('labels a token with its creator and the date by default', () => {
    expect(defaultTokenName('admin', now)).toBe('created by admin on 2026-11-29');
  });

  it('shows the token on a line of its own, once, with how to use and revoke it', () => {
    const created: CreatedToken = { ...token({ expires_at: '2026-12-29T12:00:00Z' }), token: 'plz_secret' };
    const text = createdTokenText(created, 'https://plz.example.org');
    expect(text).toContain('token for alice (id 3f2504e0-4f89-11d3-9a0c-0305e82c3301, "laptop", expires 2026-12-29 12:00 UTC):');
    expect(text.split('\n')).toContain('  plz_secret');
    expect(text.match(/plz_secret/g)).toHaveLength(1);
    expect(text).toContain('PLZ_URL=https://plz.example.org and PLZ_TOKEN=<token>');
    expect(text).toContain('~/.config/plz/plz.config.json');
    expect(text).toContain('plz admin tokens revoke 3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(createdTokenText({ ...created, expires_at: null }, 'u')).toContain('no expiry');
  });
});

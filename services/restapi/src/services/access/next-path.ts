/**
 * Where a browser may be sent after logging in: a path on this deployment. Anything else (another
 * origin, `//host`, `/\host`, which browsers read as another origin, control characters, or more
 * than 2048 characters) becomes `/`, so that no link or form can turn the login into an open
 * redirect.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}

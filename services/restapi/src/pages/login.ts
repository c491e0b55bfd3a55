import { escapeHtml, page } from './html.js';

/**
 * The login page: a form posting `user`, `token` and `next` to /login. `error` (plain text) is
 * shown above the form when the previous attempt failed.
 */
export function loginPage(next: string, error?: string, user = ''): string {
  const problem = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Log in',
    `<h1>Log in to plz</h1>
${problem}<form method="post" action="/login">
  <input type="hidden" name="next" value="${escapeHtml(next)}">
  <label for="user">User name</label>
  <input type="text" id="user" name="user" autocomplete="username" autocapitalize="none" required value="${escapeHtml(user)}">
  <label for="token">API token</label>
  <input type="password" id="token" name="token" autocomplete="current-password" required>
  <button type="submit">Log in</button>
</form>
<p class="hint">No token at hand? <code>plz ui</code> prints a link that logs this browser in without one.</p>`,
  );
}

/** The logout page: a button posting to /logout (a GET never ends a session). */
export function logoutPage(who: string | null): string {
  const whom = who ? ` as <strong>${escapeHtml(who)}</strong>` : '';
  return page(
    'Log out',
    `<h1>Log out</h1>
<p>You are logged in${whom}.</p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`,
  );
}

/** What a used, expired or unknown login link shows. */
export function linkRefusedPage(): string {
  return page(
    'Link expired',
    `<h1>This login link does not work any more</h1>
<p>A link from <code>plz ui</code> logs in once, within 60 seconds. Run <code>plz ui</code> again for a new one, or <a href="/login">log in with your token</a>.</p>`,
  );
}

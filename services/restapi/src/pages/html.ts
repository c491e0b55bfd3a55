import { assetVersion } from './assets.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A whole page of plz's own (login, logout): `body` is HTML already escaped by the caller. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · plz</title>
<script src="/static/plz.js?v=${assetVersion}" defer></script>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2433; margin: 0; }
  main { max-width: 24rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.4rem; padding: .6rem 1.2rem; font-size: 1rem; cursor: pointer; }
  .error { color: #a4161a; background: #fdecea; padding: .6rem; border-radius: 4px; }
  .hint { color: #5a6275; font-size: .9rem; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

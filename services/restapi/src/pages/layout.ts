import type { Identity } from '@plz/contracts';
import { assetVersion } from './assets.js';
import { html, type SafeHtml } from './markup.js';

/** The sections of the web view, for the navigation bar. */
export type Section = 'executions' | 'sweeps' | 'workers' | 'start';

/** What every page of the web view shows around its content. */
export interface PageFrame {
  title: string;
  /** The caller, or null on a page anyone may open (the Start page before logging in). */
  identity: Identity | null;
  section?: Section;
}

const links: { section: Section; href: string; label: string }[] = [
  { section: 'executions', href: '/executions', label: 'Executions' },
  { section: 'sweeps', href: '/sweeps', label: 'Sweeps' },
  { section: 'workers', href: '/workers', label: 'Workers and queues' },
  { section: 'start', href: '/start', label: 'Start' },
];

/**
 * A whole page of the web view: the navigation bar (sections, the MLflow UI, the API docs, the
 * user with a logout button), then `content`. Styles and script are files of the REST API
 * (`/static/...?v=<hash>`), so that the Content-Security-Policy needs no inline code.
 */
export function layout(frame: PageFrame, content: SafeHtml): string {
  const nav = frame.identity
    ? links.map((link) => html`<a href="${link.href}"${link.section === frame.section ? html` aria-current="page"` : ''}>${link.label}</a>`)
    : [html`<a href="/start" aria-current="page">Start</a>`];
  const who = frame.identity
    ? html`<span class="who"><span>${frame.identity.name}${frame.identity.role === 'admin' ? ' (admin)' : ''}</span>
<form method="post" action="/logout"><button type="submit">Log out</button></form></span>`
    : html`<span class="who"><a href="/login">Log in</a></span>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${frame.title} · plz</title>
<link rel="icon" href="/static/plz.svg?v=${assetVersion}" type="image/svg+xml">
<link rel="stylesheet" href="/static/plz.css?v=${assetVersion}">
<script src="/static/plz.js?v=${assetVersion}" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">plz</a>
<nav aria-label="Sections">${nav} <a href="/mlflow/">MLflow</a> <a href="/api/docs/">API docs</a></nav>
${who}</header>
<main id="main">
${content}
</main>
</body>
</html>
`.text;
}

/** A short page saying what went wrong (bad filter, execution not found, stop refused), with a way back. */
export function problemPage(frame: PageFrame, message: string): string {
  return layout(frame, html`<h1>${frame.title}</h1><p class="error" role="alert">${message}</p><p><a href="/executions">Back to the executions</a></p>`);
}

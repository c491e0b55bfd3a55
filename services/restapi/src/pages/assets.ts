import { createHash } from 'node:crypto';

/**
 * The web view's one style sheet: readable on a laptop screen and a phone, contrast of at least
 * 4.5:1 for text (WCAG 2.1 AA), visible keyboard focus.
 */
export const styleSheet = `
:root { --fg: #1d2433; --muted: #4f5869; --bg: #f4f5f7; --card: #fff; --line: #d5d9e0; --accent: #1f5fbf; --danger: #a4161a; }
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; background: var(--bg); color: var(--fg); margin: 0; line-height: 1.45; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem 1.2rem; background: #1d2433; color: #fff; padding: .6rem 1.2rem; }
header.top nav { display: flex; flex-wrap: wrap; gap: .2rem 1rem; }
header.top a { color: #fff; text-decoration: none; padding: .2rem .1rem; }
header.top a[aria-current="page"] { border-bottom: 2px solid #f2a900; }
header.top .brand { font-weight: 700; font-size: 1.1rem; margin-right: .6rem; }
header.top .who { margin-left: auto; display: flex; gap: .8rem; align-items: center; }
header.top form { margin: 0; }
header.top button { background: none; border: 1px solid #9aa3b5; color: #fff; padding: .2rem .6rem; border-radius: 4px; cursor: pointer; }
main { max-width: 78rem; margin: 1.2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; word-break: break-all; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
section.card, .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.2rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #eceef2; }
th a { color: inherit; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
pre.log { background: #10141c; color: #e6e9ef; padding: .8rem; border-radius: 6px; max-height: 32rem; overflow: auto; white-space: pre-wrap; word-break: break-all; margin: 0; }
.muted, .hint { color: var(--muted); }
.state { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; border: 1px solid currentColor; }
.state-queued { color: #5a4a00; background: #fff4c2; }
.state-preparing, .state-running, .state-harvesting { color: #0b4f9c; background: #e3eefc; }
.state-succeeded { color: #176534; background: #e2f5e8; }
.state-failed, .state-error { color: #8d1216; background: #fde8e8; }
.state-stopped { color: #3c4452; background: #eceef2; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: end; margin-bottom: 1rem; }
form.filters label, form.rerun label { display: block; font-weight: 600; font-size: .9rem; margin-bottom: .2rem; }
input[type=text], input[type=search], select, textarea { font: inherit; padding: .35rem .5rem; border: 1px solid #8a93a5; border-radius: 4px; background: #fff; color: var(--fg); }
textarea { width: 100%; min-height: 8rem; font-family: ui-monospace, Menlo, Consolas, monospace; }
button, .button { font: inherit; padding: .4rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
.actions { display: flex; gap: .6rem; flex-wrap: wrap; align-items: center; margin-bottom: 1rem; }
.actions form { margin: 0; }
.notice { background: #e2f5e8; border: 1px solid #176534; padding: .6rem .8rem; border-radius: 6px; margin-bottom: 1rem; }
.error { color: var(--danger); background: #fdecea; border: 1px solid var(--danger); padding: .6rem .8rem; border-radius: 6px; margin-bottom: 1rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; }
.charts figcaption { font-size: .85rem; font-weight: 600; }
.charts .range { font-size: .8rem; color: var(--muted); }
svg.chart { color: var(--accent); display: block; }
nav.pages { display: flex; gap: 1rem; margin-top: .8rem; }
.empty { padding: 1.5rem; text-align: center; background: var(--card); border: 1px dashed #8a93a5; border-radius: 8px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 40rem) { dl.facts { grid-template-columns: 1fr; } header.top .who { margin-left: 0; } }
`;

/**
 * The web view's one script (pages work without it; it adds what needs a browser): times in the
 * browser's time zone; MLflow's UI set to open in its model-training view; parts of a page marked `data-refresh="<seconds>"` (with an `id`) refetched
 * from the same URL and swapped in while the tab is visible; a log marked `data-follow="<url>"`
 * followed as it grows (the REST API's `?follow=true` log), the page reloaded once it ends;
 * forms with `data-confirm` asking first.
 */
export const pageScript = `
(() => {
  'use strict';
  const localTimes = (root) => {
    for (const el of root.querySelectorAll('time[datetime]')) {
      const date = new Date(el.getAttribute('datetime'));
      if (Number.isNaN(date.getTime())) continue;
      el.title = el.getAttribute('datetime');
      el.textContent = date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    }
  };
  localTimes(document);

  // MLflow 3's UI (same origin, under /mlflow/) opens in its GenAI view unless the browser chose
  // otherwise (localStorage mlflow.workflowType_v1, contracts' mlflowUi.ts): plz's runs are
  // model training.
  try {
    if (window.localStorage.getItem('mlflow.workflowType_v1') === null) window.localStorage.setItem('mlflow.workflowType_v1', JSON.stringify('machine_learning'));
  } catch (error) {
    // storage disabled: MLflow links carry ?workflowType=machine_learning anyway
  }

  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }

  const parts = [...document.querySelectorAll('[data-refresh][id]')];
  if (parts.length > 0) {
    const seconds = Math.max(2, Math.min(...parts.map((el) => Number(el.getAttribute('data-refresh')) || 5)));
    const refresh = async () => {
      if (document.hidden) return;
      try {
        const answer = await fetch(window.location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (!answer.ok) return;
        const fresh = new DOMParser().parseFromString(await answer.text(), 'text/html');
        for (const el of parts) {
          const next = fresh.getElementById(el.id);
          if (next && next.innerHTML !== el.innerHTML) {
            el.innerHTML = next.innerHTML;
            localTimes(el);
          }
        }
      } catch (error) {
        // offline for a moment: the next round tries again
      }
    };
    window.setInterval(refresh, seconds * 1000);
  }

  const log = document.querySelector('pre[data-follow]');
  if (log) {
    const status = document.getElementById('log-status');
    const maxChars = 2000000;
    const follow = async () => {
      const answer = await fetch(log.getAttribute('data-follow'), { credentials: 'same-origin' });
      if (!answer.ok || !answer.body) throw new Error('the log answered ' + answer.status);
      if (status) status.textContent = 'Following the log as it grows.';
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let first = true;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        let text = (first ? '' : log.textContent) + value;
        first = false;
        if (text.length > maxChars) text = text.slice(text.length - maxChars);
        log.textContent = text;
        if (atBottom) log.scrollTop = log.scrollHeight;
      }
      if (status) status.textContent = 'The execution has ended; reloading.';
      window.setTimeout(() => window.location.reload(), 1000);
    };
    follow().catch((error) => {
      if (status) status.textContent = 'The log stopped following (' + error.message + '); reload the page to go on.';
    });
  }
})();
`;

/** The web view's icon (SVG), also answered for the `/favicon.ico` that browsers ask for by themselves. */
export const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d2433"/><text x="16" y="22" font-family="sans-serif" font-size="15" font-weight="700" fill="#f2a900" text-anchor="middle">plz</text></svg>';

/** Version tags of the assets (first 12 hex digits of their SHA-256), so that they can be cached for good. */
export const assetVersion = createHash('sha256').update(styleSheet).update(pageScript).digest('hex').slice(0, 12);

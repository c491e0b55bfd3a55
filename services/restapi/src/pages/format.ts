import { html, type SafeHtml } from './markup.js';

/**
 * A duration as people say it: `850 ms`, `42 s`, `3 min 5 s`, `2 h 14 min`, `3 d 4 h`. Negative or
 * not finite: `—`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Bytes in binary units with one decimal above KiB: `512 B`, `1.5 KiB`, `2.0 GiB`. */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A point in time for the page: a `<time>` element whose text is UTC (`2026-11-30 01:02:03 UTC`)
 * until the page's script rewrites it in the browser's time zone (`datetime` keeps ISO 8601).
 * Null: `—`.
 */
export function timeElement(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html`${iso}`;
  const utc = `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${date.toISOString()}">${utc}</time>`;
}

/** How long an execution ran or has been running (started → finished, or → now), or `—` before it started. */
export function runDuration(startedAt: string | null, finishedAt: string | null, now = Date.now()): string {
  if (!startedAt) return '—';
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return humanDuration(end - Date.parse(startedAt));
}

/** A parameter or summary value in a cell: text as is, anything else as compact JSON (at most `max` characters). */
export function valueText(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

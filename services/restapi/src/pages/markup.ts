import { escapeHtml } from './html.js';

/**
 * HTML that is safe to put in a page as it is: made by `html` (whose interpolations are escaped)
 * or by `trusted` (markup written in this code base, never user data).
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value `html` may interpolate: text (escaped), numbers, SafeHtml (kept), lists of them, nothing. */
export type Interpolation = string | number | SafeHtml | null | undefined | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template of the web view's markup: every interpolated value is escaped for element content
 * and double-quoted attributes (escapeHtml), except SafeHtml, so that user data (names, parameters,
 * log lines) can never become markup. `null`, `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]!;
  });
  return new SafeHtml(out);
}

/** Markup written in this code base (constant CSS, SVG paths built from numbers): never user data. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * Docker log messages requested with `timestamps=1` start with the time in RFC 3339 with
 * nanoseconds and a space (`2024-05-01T12:00:00.123456789Z hello\n`; Engine API
 * GET /containers/{id}/logs). Splits one message into its time (ms since the epoch) and text.
 */
export function splitTimestamp(message: string): { timeMs: number | undefined; text: string } {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}) /.exec(message);
  if (!match) return { timeMs: undefined, text: message };
  const fraction = (match[2] ?? '.0').slice(0, 4).padEnd(4, '0');
  const timeMs = Date.parse(`${match[1]}${fraction}${match[3]}`);
  return { timeMs: Number.isNaN(timeMs) ? undefined : timeMs, text: message.slice(match[0].length) };
}

/**
 * Splits text into complete lines (on `\n`, `\r\n` or a lone `\r`, as progress bars write), keeping
 * the unfinished end in `pending`; a line longer than `maxLineLength` is cut into pieces of that
 * length, so one runaway line cannot grow without bound.
 */
export class LineSplitter {
  #pending = '';

  constructor(private readonly maxLineLength = 16_384) {}

  /** Adds text and returns the lines it completed. */
  push(text: string): string[] {
    const parts = (this.#pending + text).split(/\r\n|\n|\r/);
    this.#pending = parts.pop() ?? '';
    const lines = parts.flatMap((line) => this.#cut(line));
    while (this.#pending.length > this.maxLineLength) {
      lines.push(this.#pending.slice(0, this.maxLineLength));
      this.#pending = this.#pending.slice(this.maxLineLength);
    }
    return lines;
  }

  /** The unfinished end as a last line (empty array when there is none). */
  end(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest ? this.#cut(rest) : [];
  }

  #cut(line: string): string[] {
    if (line.length <= this.maxLineLength) return [line];
    const pieces: string[] = [];
    for (let at = 0; at < line.length; at += this.maxLineLength) pieces.push(line.slice(at, at + this.maxLineLength));
    return pieces;
  }
}

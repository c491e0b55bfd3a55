import pc from 'picocolors';

/**
 * Where a command's messages go. On a terminal: short coloured lines; piped: plain lines with a
 * `plz: ` prefix on messages (results stay bare), so scripts can tell them apart. With `--json`,
 * messages go to stderr and only the result (one JSON document) to stdout.
 */
export class Printer {
  constructor(
    readonly json: boolean,
    private readonly tty = Boolean(process.stdout.isTTY),
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  private message(kind: 'info' | 'success' | 'warn' | 'error', text: string): void {
    const stream = this.json || kind === 'warn' || kind === 'error' ? this.err : this.out;
    const colour = stream === this.err ? Boolean((this.err as NodeJS.WriteStream).isTTY) : this.tty;
    if (colour) {
      const mark = { info: pc.dim('•'), success: pc.green('✓'), warn: pc.yellow('!'), error: pc.red('✗') }[kind];
      stream.write(`${mark} ${kind === 'error' ? pc.red(text) : text}\n`);
    } else {
      stream.write(`plz: ${kind === 'info' || kind === 'success' ? '' : `${kind}: `}${text}\n`);
    }
  }

  info(text: string): void {
    this.message('info', text);
  }
  success(text: string): void {
    this.message('success', text);
  }
  warn(text: string): void {
    this.message('warn', text);
  }
  error(text: string): void {
    this.message('error', text);
  }

  /** A command's result: pretty JSON with --json (or for objects), else the text as is. */
  result(value: unknown, text?: string): void {
    if (this.json || text === undefined) this.out.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A result that is one JSON object whose entries arrive one at a time (`plz history`): they are
   * written as they come, `writeBytes` at a time, waiting for stdout to take each write. On a
   * terminal (without --json) the text is what `result` prints for the whole object (pretty JSON,
   * 2 spaces); piped or with --json, one entry a line (`{`, `"key":{…},` …, `}`: the same JSON
   * value, for jq and scripts), each entry's own text when it comes with one (the third element:
   * the JSON text of `value`, as received) instead of serialising it again. Indenting 12,000
   * entries was a third of `plz history`'s CPU and doubled what it wrote (tools/bench/README.md,
   * growth). Memory stays that of one entry and one write.
   */
  async resultObject(entries: AsyncIterable<readonly [string, unknown, string?]>, writeBytes = 64 * 1024): Promise<void> {
    const pretty = this.interactive;
    let first = true;
    // Entries are joined into writes of about `writeBytes` (64 KiB; characters, counted as UTF-16 units):
    // one write per entry spent a tenth of `plz history`'s time in writes (tools/bench/growth.mjs).
    let pending = '';
    for await (const [key, value, text] of entries) {
      // Pretty: the entry as the whole object's pretty JSON has it, `{\n  "key": …\n}` without its
      // braces (3 times faster than indenting the entry's own text again).
      pending += pretty
        ? `${first ? '{\n' : ',\n'}${JSON.stringify({ [key]: value }, null, 2).slice(2, -2)}`
        : `${first ? '{\n' : ',\n'}${JSON.stringify(key)}:${text ?? JSON.stringify(value)}`;
      first = false;
      if (pending.length >= writeBytes) {
        await this.write(pending);
        pending = '';
      }
    }
    await this.write(`${pending}${first ? '{}\n' : '\n}\n'}`);
  }

  /** Writes `text` to stdout, resolving once the stream takes more ('drain' when its buffer is full; 'close' or 'error' end the wait too). */
  private write(text: string): Promise<void> {
    if (this.out.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        for (const event of ['drain', 'close', 'error']) this.out.off(event, done);
        resolve();
      };
      for (const event of ['drain', 'close', 'error']) this.out.once(event, done);
    });
  }

  /** Raw bytes (a log stream), unchanged. */
  raw(chunk: string | Uint8Array): void {
    this.out.write(chunk);
  }

  /** A job's log text: on stdout, or on stderr with --json (stdout holds only the result). */
  log(text: string): void {
    (this.json ? this.err : this.out).write(text);
  }

  /** Progress bars (packing, hashing, uploads, downloads) go to stderr whenever it is a terminal. */
  get progress(): boolean {
    return Boolean((this.err as NodeJS.WriteStream).isTTY);
  }

  get interactive(): boolean {
    return this.tty && !this.json;
  }
}

/**
 * A table for people: a header line and one line per row, columns left-aligned and padded to
 * their widest cell, two spaces apart (no padding after the last column).
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, column) => (column === headers.length - 1 ? (cells[column] ?? '') : (cells[column] ?? '').padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** An instant for people, in UTC to the minute (`2026-11-29 10:00 UTC`); `-` for none. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * How long ago an instant was, for people: `12 s ago`, `5 min ago`, `3 h ago`, `4 d ago`, then
 * the date (`2026-11-29`) past 30 days; `in the future` for clock skew; `-` for none.
 */
export function formatAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '-';
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return iso;
  const seconds = Math.round((now.getTime() - time) / 1000);
  if (seconds < -5) return 'in the future';
  if (seconds < 30 * 86_400) return `${formatSpan(seconds)} ago`;
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * A span of time for people, in its largest unit, rounded down: `12 s`, `5 min`, `3 h`, `4 d`
 * (`seconds`: seconds; below 0 counts as 0).
 */
export function formatSpan(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.floor(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/**
 * An amount of time in hours and minutes, rounded to the minute, never in days (a worker-time
 * total may pass 24 h in a day): `0 min`, `45 min`, `2 h`, `2 h 05 min`, `96 h 30 min`
 * (`seconds`: seconds).
 */
export function formatHoursMinutes(seconds: number): string {
  const minutes = Math.max(0, Math.round(seconds / 60));
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${String(rest).padStart(2, '0')} min`;
}

/** An English ordinal: `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, `102nd`. */
export function formatOrdinal(n: number): string {
  const teen = Math.floor(n / 10) % 10 === 1;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

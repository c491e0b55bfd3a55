import { spawn } from 'node:child_process';

/** A program that opens a URL in the desktop's browser, and its arguments before the URL. */
export interface Opener {
  command: string;
  args: string[];
  /** Windows' `cmd` parses the line itself: the arguments go as they are (see openInBrowser). */
  verbatim?: boolean;
}

/**
 * The system's opener where a desktop is there to show a browser: `open` on macOS, `cmd /c start`
 * on Windows (always), `xdg-open` on Linux and other Unix systems when `DISPLAY` (X11) or
 * `WAYLAND_DISPLAY` is set; undefined otherwise (an SSH session, a container, CI).
 */
export function desktopOpener(platform: NodeJS.Platform, env: Record<string, string | undefined>): Opener | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'], verbatim: true };
  if (env['DISPLAY'] || env['WAYLAND_DISPLAY']) return { command: 'xdg-open', args: [] };
  return undefined;
}

/** `url` escaped for `cmd /c start`: `&`, `|`, `<`, `>`, `^`, `(`, `)` would be cmd's own otherwise. */
export function cmdEscape(url: string): string {
  return url.replace(/[&|<>^()]/g, '^$&');
}

/**
 * Starts `opener` on `url` and lets it run on its own (the CLI does not wait for the browser).
 *
 * @returns undefined once the opener started, or why it could not (e.g. `xdg-open: not found`);
 *   it never throws: the link is printed anyway, so a missing opener is not a failure.
 */
export async function openInBrowser(opener: Opener, url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      const child = spawn(opener.command, [...opener.args, opener.verbatim ? cmdEscape(url) : url], { detached: true, stdio: 'ignore', windowsVerbatimArguments: Boolean(opener.verbatim) });
      child.once('error', (error: NodeJS.ErrnoException) => resolve(`${opener.command}: ${error.code === 'ENOENT' ? 'not found' : error.message}`));
      child.once('spawn', () => {
        child.unref();
        resolve(undefined);
      });
    } catch (error) {
      resolve(`${opener.command}: ${(error as Error).message}`);
    }
  });
}

import { describe, expect, it } from '@jest/globals';
import { cmdEscape, desktopOpener, openInBrowser } from './browser.js';

describe('desktopOpener', () => {
  it('uses the system opener where a desktop is there', () => {
    expect(desktopOpener('darwin', {})).toEqual({ command: 'open', args: [] });
    expect(desktopOpener('win32', {})).toMatchObject({ command: 'cmd', args: ['/c', 'start', '""'] });
    expect(desktopOpener('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(desktopOpener('freebsd', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [] });
  });

  it('opens nothing on Linux without DISPLAY or WAYLAND_DISPLAY (SSH, containers, CI)', () => {
    expect(desktopOpener('linux', {})).toBeUndefined();
    expect(desktopOpener('linux', { DISPLAY: '' })).toBeUndefined();
  });
});

describe('openInBrowser', () => {
  it('says why when the opener is missing, without throwing', async () => {
    expect(await openInBrowser({ command: 'plz-no-such-opener', args: [] }, 'http://127.0.0.1/')).toBe('plz-no-such-opener: not found');
  });

  it('returns once the opener started', async () => {
    expect(await openInBrowser({ command: 'true', args: [] }, 'http://127.0.0.1/')).toBeUndefined();
  });
});

describe('cmdEscape', () => {
  it("escapes cmd's own characters", () => {
    expect(cmdEscape('http://h/login/link/c?next=%2F&a=(b)')).toBe('http://h/login/link/c?next=%2F^&a=^(b^)');
  });
});

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from '@jest/globals';
import { waitFor } from './supervise.js';

describe('waitFor (the supervision loops\' pause)', () => {
  it('resolves at once for a signal that aborted before the wait began', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = performance.now();
    await waitFor(5_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('resolves when the signal aborts during the wait, and after its time otherwise', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    await waitFor(5_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(1_000);
    const later = performance.now();
    await waitFor(100, new AbortController().signal);
    expect(performance.now() - later).toBeGreaterThanOrEqual(95);
  });
});

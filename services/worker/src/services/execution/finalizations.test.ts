import { describe, expect, it } from '@jest/globals';
import { Finalizations } from './finalizations.js';

/** A promise with its resolve function. */
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

describe('Finalizations', () => {
  it('runs up to `max` in the background; the next one starts when one has ended', async () => {
    const finalizations = new Finalizations(1);
    const first = deferred();
    const order: string[] = [];
    await finalizations.start(async () => {
      order.push('first started');
      await first.promise;
      order.push('first ended');
    });
    expect(finalizations.size).toBe(1);
    let secondHandedOn = false;
    const second = finalizations.start(async () => void order.push('second started')).then(() => (secondHandedOn = true));
    await Promise.resolve();
    expect(secondHandedOn).toBe(false);
    first.resolve();
    await second;
    await finalizations.settled();
    expect(order).toEqual(['first started', 'first ended', 'second started']);
    expect(finalizations.size).toBe(0);
  });

  it('with max 0, start resolves once the work has ended', async () => {
    const finalizations = new Finalizations(0);
    let ended = false;
    await finalizations.start(async () => {
      await Promise.resolve();
      ended = true;
    });
    expect(ended).toBe(true);
    expect(finalizations.size).toBe(0);
  });

  it('a failed finalization frees its place and does not reject', async () => {
    const finalizations = new Finalizations(1);
    await finalizations.start(() => Promise.reject(new Error('lost')));
    await finalizations.settled();
    expect(finalizations.size).toBe(0);
    let ran = false;
    await finalizations.start(async () => void (ran = true));
    await finalizations.settled();
    expect(ran).toBe(true);
  });
});

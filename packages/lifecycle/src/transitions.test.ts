import { describe, expect, it } from '@jest/globals';
import { executionStates, isTerminal } from '@plz/contracts';
import { canMove, sourcesOf, transitions } from './transitions.js';

describe('the transitions table', () => {
  it('lists every state, and no way out of a terminal one', () => {
    expect(Object.keys(transitions).sort()).toEqual([...executionStates].sort());
    for (const state of executionStates) if (isTerminal(state)) expect(transitions[state]).toEqual([]);
  });

  it('lets succeeded and failed come only from harvesting, and queued only from preparing', () => {
    expect(sourcesOf('succeeded')).toEqual(['harvesting']);
    expect(sourcesOf('failed')).toEqual(['harvesting']);
    expect(sourcesOf('queued')).toEqual(['preparing']);
    expect(sourcesOf('error').sort()).toEqual(['harvesting', 'preparing', 'queued', 'running']);
  });

  it('refuses a change the table does not allow, naming it', () => {
    expect(canMove('running', 'succeeded')).toBe(false);
    expect(() => sourcesOf('succeeded', ['running'])).toThrow('execution state change not allowed: running → succeeded');
    expect(() => sourcesOf('running', ['succeeded'])).toThrow('succeeded → running');
  });
});

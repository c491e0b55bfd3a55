import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ParametersError, readParametersFile } from './parameters.js';

const dir = mkdtempSync(path.join(tmpdir(), 'plz-params-'));
const file = (name: string, content: string) => {
  writeFileSync(path.join(dir, name), content);
  return name;
};

describe('readParametersFile', () => {
  it('reads a JSON object', () => {
    expect(readParametersFile(file('ok.json', '{"learning_rate": 0.01, "layers": [64, 32]}'), dir)).toEqual({ learning_rate: 0.01, layers: [64, 32] });
  });

  it('explains each way a file can be wrong', () => {
    const message = (name: string) => {
      try {
        readParametersFile(name, dir);
      } catch (error) {
        expect(error).toBeInstanceOf(ParametersError);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(message('missing.json')).toMatch(/missing\.json does not exist/);
    expect(message(file('bad.json', '{"a": 1,'))).toMatch(/bad\.json is not valid JSON/);
    expect(message(file('list.json', '[1, 2]'))).toMatch(/must hold a JSON object, not an array/);
    expect(message(file('number.json', '3'))).toMatch(/not a number/);
    expect(message(file('null.json', 'null'))).toMatch(/not null/);
  });
});

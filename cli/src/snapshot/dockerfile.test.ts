import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { snapshotDockerfile } from './dockerfile.js';

describe('snapshotDockerfile', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'plz-dockerfile-'));

  it('generates FROM, the extensions, the code and the command', () => {
    expect(snapshotDockerfile(root, { image: 'python:3.11-slim-bookworm', imageExtensions: ['pip install scikit-learn==1.7.2'], command: ['python', 'train.py'] })).toBe(
      'FROM python:3.11-slim-bookworm\nWORKDIR /plz/code\nRUN pip install scikit-learn==1.7.2\nCOPY . ./\nCMD ["python","train.py"]\n',
    );
    expect(snapshotDockerfile(root, { image: 'debian:bookworm-slim', imageExtensions: [], command: 'echo $HOME' })).toContain('CMD echo $HOME\n');
  });

  it('needs a command unless the context has a plz.Dockerfile', () => {
    expect(() => snapshotDockerfile(root, { image: 'x', imageExtensions: [] })).toThrow(/no "command"/);
    writeFileSync(path.join(root, 'plz.Dockerfile'), 'FROM custom\n');
    expect(snapshotDockerfile(root, { image: 'x', imageExtensions: [] })).toBe('FROM custom\n');
  });
});

import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { imageExtensionLine, snapshotDockerfile } from './dockerfile.js';

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

describe('imageExtensionLine', () => {
  it('keeps a line that starts with a Dockerfile instruction, and wraps a command in RUN', () => {
    expect(imageExtensionLine('RUN pip install numpy')).toBe('RUN pip install numpy');
    expect(imageExtensionLine('ENV PYTHONUNBUFFERED=1')).toBe('ENV PYTHONUNBUFFERED=1');
    expect(imageExtensionLine('pip install numpy')).toBe('RUN pip install numpy');
    expect(imageExtensionLine('env FOO=1 make')).toBe('RUN env FOO=1 make');
    expect(imageExtensionLine('RUNNER=1 ./setup.sh')).toBe('RUN RUNNER=1 ./setup.sh');
    expect(imageExtensionLine('apt-get update &&\napt-get install -y git')).toBe('RUN apt-get update && \\\n  apt-get install -y git');
  });
});

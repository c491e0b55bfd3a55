import { describe, expect, it } from '@jest/globals';
import { DockerfileEndError, skeletonEntries, withSkeletonCopy } from './skeleton.js';

describe('the /plz skeleton of job images', () => {
  it('appends one COPY after the last instruction, on a line of its own', () => {
    expect(withSkeletonCopy('FROM python:3.11\nCMD ["python"]')).toBe('FROM python:3.11\nCMD ["python"]\n# plz: the job\'s /plz folders (input, output, measures)\nCOPY .plz-build/skeleton/ /\n');
    expect(withSkeletonCopy('FROM a AS build\nRUN make\nFROM b\nCOPY --from=build /x /x\n\n# end\n')).toMatch(/# end\n# plz: .*\nCOPY \.plz-build\/skeleton\/ \/\n$/);
    expect(withSkeletonCopy('FROM a\r\nUSER nobody\r\n')).toMatch(/USER nobody\n# plz/);
  });

  it('refuses a Dockerfile that ends inside a continued instruction, with the escape character it uses', () => {
    expect(() => withSkeletonCopy('FROM a\nRUN echo one \\\n')).toThrow(DockerfileEndError);
    expect(() => withSkeletonCopy('FROM a\nRUN echo one \\\n\n# a comment\n')).toThrow('ends with \\');
    expect(() => withSkeletonCopy('# escape=`\nFROM a\nRUN echo `\n')).toThrow('ends with `');
    // a backslash is no escape under `# escape=`
    expect(withSkeletonCopy('# escape=`\nFROM a\nRUN dir c:\\\n')).toContain('COPY .plz-build/skeleton/ /');
  });

  it('gives /plz the sticky world-writable mode, output and measures world-writable, input 0755', () => {
    expect(skeletonEntries().map(({ name, mode, type }) => [name, mode.toString(8), type])).toEqual([
      ['.plz-build/skeleton/plz/', '1777', 'directory'],
      ['.plz-build/skeleton/plz/input/', '755', 'directory'],
      ['.plz-build/skeleton/plz/output/', '777', 'directory'],
      ['.plz-build/skeleton/plz/measures/', '777', 'directory'],
    ]);
  });
});

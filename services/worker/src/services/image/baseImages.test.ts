import { describe, expect, it } from '@jest/globals';
import { imageReferences, refusal, repositoryOf, substitute } from './baseImages.js';

const jobId = `sha256:4f2a9c${'0'.repeat(58)}`;

describe('images a Dockerfile names', () => {
  it('reads every FROM, with flags, stages, continuations, ONBUILD and COPY --from', () => {
    const dockerfile = [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=python:3.11-slim-bookworm',
      'FROM --platform=linux/amd64 ${BASE} AS build',
      'RUN echo \\',
      '  # a comment inside',
      '  FROM not-an-instruction',
      'from build',
      'FROM \\',
      '  debian:bookworm-slim as final',
      'COPY --from=build /a /a',
      'COPY --from=0 /b /b',
      'COPY --from=nginx:latest /etc/nginx /etc/nginx',
      'ONBUILD COPY --from=redis /x /x',
    ].join('\n');
    expect(imageReferences(dockerfile)).toEqual([
      { instruction: 'FROM --platform=linux/amd64 ${BASE} AS build', image: 'python:3.11-slim-bookworm' },
      { instruction: 'FROM debian:bookworm-slim as final', image: 'debian:bookworm-slim' },
      { instruction: 'COPY --from=nginx:latest /etc/nginx /etc/nginx', image: 'nginx:latest' },
      { instruction: 'ONBUILD COPY --from=redis /x /x', image: 'redis' },
    ]);
  });

  it('substitutes ARG defaults and reports what it cannot resolve', () => {
    const args = new Map<string, string | undefined>([['A', 'x'], ['EMPTY', undefined]]);
    expect(substitute('$A:${A}-${NONE:-d}-${A:+y}', args)).toBe('x:x-d-y');
    expect(substitute('${EMPTY}', args)).toBeUndefined();
    expect(substitute('${A/x/y}', args)).toBeUndefined();
    expect(imageReferences('ARG IMAGE\nFROM $IMAGE\n')).toEqual([{ instruction: 'FROM $IMAGE', unsure: 'cannot resolve "$IMAGE" (a build argument without a default?)' }]);
    expect(imageReferences('FROM a\nARG LATE=plz-job:x\nFROM ${LATE}\n')[1]).toMatchObject({ unsure: expect.any(String) });
  });

  it('honours the escape directive', () => {
    expect(imageReferences('# escape=`\nFROM `\n  plz-job:abc\n')).toEqual([{ instruction: 'FROM plz-job:abc', image: 'plz-job:abc' }]);
  });

  it('normalises repositories as Docker does', () => {
    expect(['plz-job:abc', 'PLZ-JOB', 'docker.io/library/plz-job:x', 'index.docker.io/plz-job@sha256:00', 'localhost:5000/plz-job:1'].map(repositoryOf)).toEqual([
      'plz-job',
      'plz-job',
      'plz-job',
      'plz-job',
      'localhost:5000/plz-job',
    ]);
  });
});

describe('refusal', () => {
  it('allows public bases, stages and names that only look like ids', () => {
    expect(refusal('FROM python:3.11-slim-bookworm AS a\nFROM a\nCOPY --from=a / /\n', [jobId])).toBeUndefined();
    expect(refusal('FROM cafe\n', [jobId])).toBeUndefined();
    expect(refusal('FROM scratch\n', [jobId])).toBeUndefined();
  });

  it('refuses another execution\'s image by tag, however spelt, naming the FROM', () => {
    for (const from of ['FROM plz-job:4f2a9c', 'FROM docker.io/library/plz-job:4f2a9c AS x', 'from PLZ-JOB', 'FROM --platform=$BUILDPLATFORM plz-job@sha256:abc', 'ARG B=plz-job:1\nFROM ${B}', 'FROM python\nCOPY --from=plz-job:1 /app /app']) {
      expect(refusal(`${from}\n`, [])).toMatch(/^refused `.*`: plz-job images belong to other executions/);
    }
    expect(refusal('FROM plz-job:4f2a9c\n', [])).toBe('refused `FROM plz-job:4f2a9c`: plz-job images belong to other executions; start from a public base image');
  });

  it('refuses image ids: sha256 digests always, short ids of local images', () => {
    expect(refusal(`FROM ${jobId}\n`, [])).toMatch(/^refused `FROM sha256:4f2a9c0+`: an image id/);
    expect(refusal('FROM 4f2a9c\n', [jobId])).toMatch(/^refused `FROM 4f2a9c`: an image id/);
    expect(refusal('FROM python\nCOPY --from=4f2a /a /a\n', [jobId])).toMatch(/an image id/);
  });

  it('refuses what it cannot resolve', () => {
    expect(refusal('ARG BASE\nFROM ${BASE}\n', [])).toMatch(/^refused `FROM \$\{BASE\}`: cannot resolve/);
    expect(refusal('FROM --platform=linux/amd64\n', [])).toMatch(/FROM without an image/);
  });
});

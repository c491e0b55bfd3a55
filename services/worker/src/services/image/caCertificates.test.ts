import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { caBundle, caPreamble, withPreambleAfterFrom } from './caCertificates.js';
import { withContextExceptions } from './buildContext.js';

const pre = ['# pre', 'COPY x y'];

describe('CA certificates in job image builds', () => {
  it('inserts the preamble after every FROM, multi-line ones included', () => {
    const dockerfile = 'ARG BASE=python:3.11\nFROM ${BASE} AS build\nRUN pip install x\nfrom \\\n  debian:bookworm-slim\nCOPY --from=build /a /a\n';
    expect(withPreambleAfterFrom(dockerfile, pre)).toBe(
      'ARG BASE=python:3.11\nFROM ${BASE} AS build\n# pre\nCOPY x y\nRUN pip install x\nfrom \\\n  debian:bookworm-slim\n# pre\nCOPY x y\nCOPY --from=build /a /a\n',
    );
  });

  it('honours the escape parser directive and ignores FROM inside other instructions', () => {
    const escaped = '# escape=`\nFROM a `\n  AS b\nRUN echo\n';
    expect(withPreambleAfterFrom(escaped, pre)).toBe('# escape=`\nFROM a `\n  AS b\n# pre\nCOPY x y\nRUN echo\n');
    const continued = 'FROM a\nRUN echo \\\n  # comment\n FROM x\n';
    expect(withPreambleAfterFrom(continued, pre)).toBe('FROM a\n# pre\nCOPY x y\nRUN echo \\\n  # comment\n FROM x\n');
  });

  it('points the usual variables at the bundle', () => {
    expect(caPreamble()[1]).toBe('COPY .plz-build/ca-certificates.pem /etc/plz/ca-certificates.pem');
    expect(caPreamble()[2]).toMatch(/^ENV SSL_CERT_FILE=\/etc\/plz\/ca-certificates.pem .*PIP_CERT=/);
  });

  it('keeps the bundle through a .dockerignore', () => {
    expect(withContextExceptions('*\n!src', true)).toBe('*\n!src\n!.plz-build/skeleton\n!.plz-build/skeleton/**\n!.plz-build/ca-certificates.pem\n');
    expect(withContextExceptions('*', false)).toBe('*\n!.plz-build/skeleton\n!.plz-build/skeleton/**\n');
  });

  it('bundles the public roots with the extra certificates, or nothing without any', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plz-ca-'));
    expect(await caBundle(dir)).toBeUndefined();
    expect(await caBundle(path.join(dir, 'missing'))).toBeUndefined();
    expect(await caBundle(undefined)).toBeUndefined();
    writeFileSync(path.join(dir, 'README.md'), 'not a certificate');
    writeFileSync(path.join(dir, 'proxy.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const bundle = (await caBundle(dir))!;
    expect(bundle).toContain('# proxy.crt\n-----BEGIN CERTIFICATE-----\nMIIB');
    expect(bundle.split('BEGIN CERTIFICATE').length).toBeGreaterThan(100);
    writeFileSync(path.join(dir, 'bad.crt'), 'garbage');
    await expect(caBundle(dir)).rejects.toThrow('not a PEM certificate');
  });
});

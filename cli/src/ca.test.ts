import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function plz(cwd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

describe('ca_file: a deployment whose HTTPS certificate is self-signed', () => {
  it('is refused without ca_file and trusted with it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plz-ca-'));
    // A real self-signed certificate for 127.0.0.1, made with openssl.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'server.key'), '-out', path.join(dir, 'server.crt')], { stdio: 'ignore' });
    const server = createServer({ key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.crt')) }, (request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(request.url === '/api/v1/me' ? JSON.stringify({ id: 'u1', name: 'ada', role: 'user' }) : '{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      writeFileSync(path.join(dir, 'plz.config.json'), JSON.stringify({ project: 'p', url, token: 't' }));
      const refused = await plz(dir, ['ping']);
      expect(refused.status).toBe(122);
      expect(refused.stderr).toMatch(/cannot reach the plz server .*(SELF_SIGNED|self-signed|DEPTH_ZERO)/i);

      writeFileSync(path.join(dir, 'plz.config.json'), JSON.stringify({ project: 'p', url, token: 't', ca_file: 'server.crt' }));
      const trusted = await plz(dir, ['ping']);
      expect(trusted.stderr).toBe('');
      expect(trusted.stdout).toContain(`${url} is up; you are ada (user)`);
      expect(trusted.status).toBe(0);
    } finally {
      server.close();
    }
  }, 60_000);
});

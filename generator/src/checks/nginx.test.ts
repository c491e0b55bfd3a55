import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { upstreamImages } from '../images.js';
import { docker } from '../testing/docker.js';
import { render, type Rendered } from '../testing/deployment.js';

/**
 * `nginx -t` in the pinned NGINX image on the generated configuration, mounted as
 * docker-compose.yml mounts it. For HTTPS, a self-signed certificate is made with openssl in the
 * same container (on a tmpfs, so nothing is left on the host).
 */
async function nginxTest(deployment: Rendered, site: 'http' | 'https'): Promise<string> {
  const config = path.join(deployment.directory, 'config', 'nginx');
  const makeCertificate = 'openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout /etc/nginx/ssl/server.key -out /etc/nginx/ssl/server.crt 2>/dev/null';
  const { stdout, stderr } = await docker([
    'run', '--rm', '--network', 'none', '--tmpfs', '/etc/nginx/ssl',
    '-v', `${config}/${site}.conf:/etc/nginx/conf.d/default.conf:ro`,
    '-v', `${config}:/etc/nginx/plz:ro`,
    '--entrypoint', 'sh', upstreamImages.nginx, '-c', `${site === 'https' ? `${makeCertificate} && ` : ''}nginx -t`,
  ]);
  return `${stdout}${stderr}`;
}

describe('the generated NGINX configuration', () => {
  let deployment: Rendered;
  beforeAll(async () => {
    deployment = await render({ https: true, 'https-port': '8443' });
  }, 120_000);
  afterAll(() => deployment.remove());

  it('passes nginx -t without TLS', async () => {
    expect(await nginxTest(deployment, 'http')).toMatch(/syntax is ok[\s\S]*test is successful/);
  }, 60_000);

  it('passes nginx -t with TLS', async () => {
    expect(await nginxTest(deployment, 'https')).toMatch(/syntax is ok[\s\S]*test is successful/);
  }, 60_000);

  it('fails nginx -t with TLS when the certificate is missing (the check can fail)', async () => {
    await expect(docker(['run', '--rm', '--network', 'none', '-v', `${path.join(deployment.directory, 'config', 'nginx')}:/etc/nginx/plz:ro`,
      '-v', `${path.join(deployment.directory, 'config', 'nginx', 'https.conf')}:/etc/nginx/conf.d/default.conf:ro`, upstreamImages.nginx, 'nginx', '-t'])).rejects.toThrow(/server\.crt/);
  }, 60_000);

  it('routes /api/ and /mlflow/ without buffering, with no upload limit in NGINX', () => {
    const locations = deployment.read('config/nginx/locations.conf');
    const proxy = deployment.read('config/nginx/proxy.conf');
    expect(locations).toMatch(/location \/api\/ \{\s+set \$plz_restapi http:\/\/restapi:8080;/);
    expect(locations).toMatch(/location \/mlflow\/ \{\s+auth_request \/_plz\/auth;[^}]*\s+set \$plz_mlflow http:\/\/mlflow:5000;/);
    expect(locations).toContain('client_max_body_size 0;');
    expect(proxy).toContain('proxy_buffering off;');
    expect(proxy).toContain('proxy_request_buffering off;');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { render, type Rendered } from '../../testing/deployment.js';

/** yo plz-deploy --worker-hosts (ARCHITECTURE.md §7): what the controller publishes for workers on other hosts. */
describe('yo plz-deploy --worker-hosts', () => {
  describe('without it', () => {
    let deployment: Rendered;
    beforeAll(async () => {
      deployment = await render();
    }, 120_000);
    afterAll(() => deployment.remove());

    it('publishes nothing more and writes none of the worker-hosts files or answers', () => {
      const compose = deployment.compose();
      expect(compose.services['db']?.ports).toBeUndefined();
      expect(compose.services['redis']?.ports).toBeUndefined();
      expect(compose.services['nginx']?.ports?.map((port) => port.target)).toEqual([80, 443]);
      expect(Object.keys(compose.networks)).toEqual(['internal', 'edge']);
      expect(Object.keys(compose.volumes)).not.toContain('worker-hosts');
      for (const file of ['envs/worker-hosts.env', 'config/nginx/worker-hosts.conf', 'config/db/pg_hba-worker-hosts.conf', 'config/minio/worker-hosts.sh']) {
        expect([file, existsSync(path.join(deployment.directory, file))]).toEqual([file, false]);
      }
      expect(Object.keys(JSON.parse(deployment.read('.yo-rc.json'))['generator-plz-deploy'] as object).filter((key) => key.startsWith('workerHosts'))).toEqual([]);
    });
  });

  describe('with it, on a host address and ports', () => {
    let deployment: Rendered;
    beforeAll(async () => {
      deployment = await render({
        'server-name': 'gpu-box.example.org',
        'worker-hosts': true,
        'worker-hosts-address': '10.1.2.3',
        'worker-hosts-redis-port': '16380',
        'worker-hosts-postgres-port': '15432',
        'worker-hosts-minio-port': '19443',
        'worker-hosts-mlflow-port': '15443',
      });
    }, 120_000);
    afterAll(() => deployment.remove());

    it("publishes Redis's TLS port (never its plain one), PostgreSQL, and NGINX's S3 and MLflow sites on that address", () => {
      const { services } = deployment.compose();
      const published = (service: string) => services[service]?.ports?.map((port) => `${port.host_ip}:${port.published ?? ''}->${port.target}`);
      expect(published('redis')).toEqual(['10.1.2.3:16380->6380']);
      expect(published('db')).toEqual(['10.1.2.3:15432->5432']);
      expect(published('nginx')).toEqual(['127.0.0.1:80->80', '127.0.0.1:443->443', '10.1.2.3:19443->9443', '10.1.2.3:15443->5443']);
      expect(services['redis']?.networks).toEqual(['internal', 'worker-hosts']);
      expect(services['db']?.networks).toEqual(['internal', 'worker-hosts']);
    });

    it('turns TLS on for PostgreSQL with the worker-hosts pg_hba, and gives Redis a TLS port and the worker hosts\' ACL users', async () => {
      const { services, configs } = deployment.compose();
      const command = services['db']?.command ?? [];
      expect(command).toEqual(expect.arrayContaining(['ssl=on', 'hba_file=/etc/plz/db-config/pg_hba-worker-hosts.conf']));
      expect(configs?.['redis-config']?.content).toMatch(/tls-port 6380\ntls-cert-file \/etc\/plz\/worker-hosts\/server\.crt\n[\s\S]*tls-auth-clients no\n[\s\S]*include \/etc\/plz\/worker-hosts\/redis-users\.acl\n/);
      expect(services['redis']?.volumes).toContain('worker-hosts:/etc/plz/worker-hosts:ro');
      const hba = deployment.read('config/db/pg_hba-worker-hosts.conf').split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(/\s+/).join(' '));
      expect(hba).toEqual([
        'local all all trust',
        'host all all 127.0.0.1/32 trust',
        'host all all ::1/128 trust',
        'hostnossl all all all reject',
        'hostssl restapi +plz_worker_hosts all scram-sha-256',
        'hostssl all +plz_worker_hosts all reject',
        'hostssl all all all scram-sha-256',
      ]);
      const resolved = await deployment.resolved();
      expect(resolved.networks['worker-hosts']?.internal).toBeFalsy();
      expect(resolved.volumes['worker-hosts']?.name).toMatch(/-worker-hosts$/);
    }, 120_000);

    it('records the answers for init and .yo-rc.json; the certificate names the server name and the address', () => {
      const env = deployment.read('envs/worker-hosts.env');
      expect(env).toContain("PLZ_WORKER_HOSTS_ADDRESS='10.1.2.3'\n");
      expect(env).toContain("PLZ_WORKER_HOSTS_REDIS_PORT='16380'\nPLZ_WORKER_HOSTS_POSTGRES_PORT='15432'\nPLZ_WORKER_HOSTS_S3_PORT='19443'\nPLZ_WORKER_HOSTS_MLFLOW_PORT='15443'\n");
      expect(env).toContain("PLZ_WORKER_HOSTS_SERVER_NAME='gpu-box.example.org'\n");
      expect(env).toContain("PLZ_WORKER_HOSTS_SUBJECT_ALT_NAMES='DNS:gpu-box.example.org,IP:10.1.2.3,DNS:localhost,IP:127.0.0.1,DNS:db,DNS:redis'\n");
      expect(JSON.parse(deployment.read('.yo-rc.json'))['generator-plz-deploy']).toMatchObject({ workerHosts: true, workerHostsAddress: '10.1.2.3', workerHostsRedisPort: 16380, workerHostsMlflowPort: 15443 });
    });

    it("serves MinIO's S3 API and MLflow's REST API only, over HTTPS, MLflow behind the worker hosts' Basic users", () => {
      const nginx = deployment.read('config/nginx/worker-hosts.conf');
      expect(nginx.match(/listen \d+ ssl;/g)).toEqual(['listen 9443 ssl;', 'listen 5443 ssl;']);
      expect(nginx).toMatch(/location \/mlflow\/api\/2\.0\/mlflow\/ \{\n\s+auth_basic "plz worker hosts";\n\s+auth_basic_user_file \/etc\/plz\/worker-hosts\/htpasswd;/);
      expect(nginx).toContain('proxy_set_header Authorization "";');
      expect(deployment.compose().services['nginx']?.volumes).toContain('./config/nginx/worker-hosts.conf:/etc/nginx/conf.d/worker-hosts.conf:ro');
    });
  });

  it.each([
    [{ 'worker-hosts-redis-port': '0' }, '--worker-hosts-redis-port "0" is not a port number'],
    [{ 'worker-hosts-address': 'gpu-box' }, 'bind address "gpu-box" is not an IP address'],
    [{ 'worker-hosts-minio-port': '6380' }, 'the worker-hosts ports clash: --worker-hosts-minio-port and --worker-hosts-redis-port are both 6380'],
    [{ 'worker-hosts-mlflow-port': '8080', 'http-port': '8080' }, 'the worker-hosts ports clash: --worker-hosts-mlflow-port and --http-port are both 8080 on 127.0.0.1'],
  ])('refuses %j', async (flags, message) => {
    await expect(render({ 'worker-hosts': true, ...flags })).rejects.toThrow(message);
  }, 120_000);
});

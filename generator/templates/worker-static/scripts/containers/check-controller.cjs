// Runs in the worker image as the init-tools service of a worker host (docker-compose.yml), from
// steps 45 and 50 of ./init-deployment.sh, with the workers' settings (envs/worker.env) and this
// host's credentials (secrets/controller.env) in its environment.
//   certificates: every /etc/plz/ssl/ca-certificates/*.crt and CONTROLLER_CA_FILE hold PEM
//                 certificates; prints `<file>: <subject>` lines.
//   controller:   Redis (PING), PostgreSQL (its own connection's TLS state), MinIO's S3 API (a TLS
//                 handshake and an unsigned request answered by MinIO) and MLflow's REST API (an
//                 experiments search with this host's user) answer over TLS verified against
//                 CONTROLLER_CA_FILE; prints one line per service.
// Exit status 1 names what failed on stderr. Never prints a credential.
'use strict';
const { X509Certificate } = require('node:crypto');
const { readFileSync, readdirSync } = require('node:fs');
const { createRequire } = require('node:module');
const https = require('node:https');
const tls = require('node:tls');

// The worker's own dependencies (ioredis, pg), from the image's /app.
const appRequire = createRequire('/app/package.json');
const env = process.env;
const mode = process.argv[2];

/** The certificates of a PEM file, each as an X509Certificate; throws when it holds none or a broken one. */
function certificates(file) {
  const blocks = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in it');
  return blocks.map((block) => new X509Certificate(block));
}

/** Where a URL points, without its credentials. */
const where = (value) => {
  const url = new URL(value);
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
};

/** A failure's message with any credential of the environment masked. */
function clean(error) {
  let message = `${error?.message ?? error}${error?.code ? ` (${error.code})` : ''}`;
  for (const key of ['REDIS_URL', 'DATABASE_URL', 'S3_SECRET_ACCESS_KEY', 'MLFLOW_TRACKING_PASSWORD']) {
    const value = env[key];
    if (!value) continue;
    const secrets = [value];
    try {
      const url = new URL(value);
      if (url.password) secrets.push(decodeURIComponent(url.password), url.password);
    } catch {
      // not a URL
    }
    for (const secret of secrets) message = message.split(secret).join('***');
  }
  return message;
}

function checkCertificates() {
  let failed = false;
  const directory = '/etc/plz/ssl/ca-certificates';
  const files = readdirSync(directory).filter((name) => name.endsWith('.crt')).sort();
  if (files.length === 0) console.log('no extra CA certificates (ssl/ca-certificates/*.crt): behind a proxy that re-signs TLS, put its root CA there (see DEPLOYMENT.md)');
  for (const name of files) {
    try {
      const found = certificates(`${directory}/${name}`);
      console.log(`ssl/ca-certificates/${name}: ${found[0].subject.replace(/\n/g, ', ')}${found.length > 1 ? ` (and ${found.length - 1} more)` : ''}`);
    } catch (error) {
      console.error(`ssl/ca-certificates/${name} is not a PEM certificate: ${error.message}`);
      failed = true;
    }
  }
  try {
    const [ca] = certificates(env.CONTROLLER_CA_FILE);
    if (!ca.ca) throw new Error('it is not a CA certificate');
    if (Date.parse(ca.validTo) < Date.now()) throw new Error(`it expired on ${ca.validTo}`);
    console.log(`ssl/controller/ca.crt (the controller's CA): ${ca.subject.replace(/\n/g, ', ')}, valid until ${ca.validTo}`);
  } catch (error) {
    console.error(`ssl/controller/ca.crt (the controller's CA, from the join bundle) is not usable: ${error.message}`);
    failed = true;
  }
  return failed ? 1 : 0;
}

/** Runs `check` with a time limit, prints its line or the failure; resolves whether it passed. */
async function attempt(what, check) {
  let timer;
  try {
    const line = await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000)))]);
    console.log(`${what}: ${line}`);
    return true;
  } catch (error) {
    console.error(`${what}: ${clean(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

async function checkController() {
  const ca = readFileSync(env.CONTROLLER_CA_FILE, 'utf8');
  const { Redis } = appRequire('ioredis');
  const pg = appRequire('pg');
  const results = [];
  results.push(
    await attempt(`Redis ${where(env.REDIS_URL)}`, async () => {
      const client = new Redis(env.REDIS_URL, { tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000 });
      let first;
      client.on('error', (error) => (first ??= error));
      try {
        await client.connect();
        return `${await client.ping()} over TLS`;
      } catch (error) {
        throw first ?? error;
      } finally {
        client.disconnect();
      }
    }),
  );
  results.push(
    await attempt(`PostgreSQL ${where(env.DATABASE_URL)}`, async () => {
      const url = new URL(env.DATABASE_URL);
      for (const name of ['sslmode', 'uselibpqcompat']) url.searchParams.delete(name);
      const client = new pg.Client({ connectionString: url.toString(), ssl: { ca, rejectUnauthorized: true }, connectionTimeoutMillis: 10_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const { rows } = await client.query('SELECT current_user AS role, version AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        return `role ${rows[0].role}, ${rows[0].tls}`;
      } finally {
        await client.end().catch(() => undefined);
      }
    }),
  );
  const get = (url, headers) =>
    new Promise((resolve, reject) => {
      const request = https.get(url, { ca, headers, agent: false }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
    });
  results.push(
    await attempt(`S3 ${where(env.S3_ENDPOINT)}`, async () => {
      // MinIO answers an unsigned request with 403 (AccessDenied) once TLS and NGINX passed: enough to
      // know it is MinIO at the end; the credentials are the workers' to use.
      const status = await get(`${env.S3_ENDPOINT.replace(/\/+$/, '')}/plz-snapshots/`, {});
      if (status >= 500 || status === 404) throw new Error(`answered HTTP ${status}`);
      return `HTTPS verified (HTTP ${status} unsigned)`;
    }),
  );
  results.push(
    await attempt(`MLflow ${where(env.MLFLOW_URL)}`, async () => {
      const authorization = `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`;
      const status = await get(`${env.MLFLOW_URL.replace(/\/+$/, '')}/api/2.0/mlflow/experiments/search?max_results=1`, { authorization });
      if (status === 401) throw new Error("refused this host's user (revoked on the controller? a new bundle: ./init-deployment.sh --worker-host-bundle NAME there)");
      if (status !== 200) throw new Error(`answered HTTP ${status}`);
      return `HTTPS verified, user ${env.MLFLOW_TRACKING_USERNAME}`;
    }),
  );
  return results.every(Boolean) ? 0 : 1;
}

(async () => {
  if (mode === 'certificates') process.exitCode = checkCertificates();
  else if (mode === 'controller') process.exitCode = await checkController();
  else {
    console.error('usage: check-controller.cjs certificates|controller');
    process.exitCode = 2;
  }
})().catch((error) => {
  console.error(clean(error));
  process.exitCode = 1;
});

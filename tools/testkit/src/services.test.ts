import { describe, expect, it } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createBucket, s3Client } from './minio.js';
import { createDatabase } from './postgres.js';
import { testServices, wantedServices } from './services.js';

// These talk to the real servers that the Jest global setup started on loopback ports.
describe('integration-test services', () => {
  const services = testServices();

  it('PostgreSQL: a fresh database per caller, with SQL that runs', async () => {
    const url = await createDatabase(services.postgresUrl, 'testkit');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL)');
      await client.query("INSERT INTO t (name) VALUES ('a'), ('b')");
      const { rows } = await client.query<{ n: string; version: string }>('SELECT count(*) AS n, version() FROM t');
      expect(rows[0]?.n).toBe('2');
      expect(rows[0]?.version).toMatch(/^PostgreSQL 1\d/);
    } finally {
      await client.end();
    }
  });

  it('Redis: needs its password and stores streams', async () => {
    const anonymous = new URL(services.redisUrl);
    anonymous.password = '';
    const intruder = new Redis(anonymous.toString(), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    intruder.on('error', () => undefined); // the refusal is what this test expects
    await intruder.connect().catch(() => undefined);
    await expect(intruder.get('x')).rejects.toThrow(/NOAUTH|closed|Connection/);
    intruder.disconnect();

    const redis = new Redis(services.redisUrl);
    try {
      const key = `testkit:${Date.now()}`;
      await redis.xadd(key, '*', 'line', 'hello');
      const entries = await redis.xrange(key, '-', '+');
      expect(entries[0]?.[1]).toEqual(['line', 'hello']);
    } finally {
      redis.disconnect();
    }
  });

  it('MinIO: objects round-trip through a new bucket', async () => {
    const bucket = await createBucket(services.s3, 'testkit');
    const s3 = s3Client(services.s3);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.txt', Body: 'content' }));
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }));
      expect(await object.Body?.transformToString()).toBe('content');
    } finally {
      s3.destroy();
    }
  });

  it('MLflow: creates an experiment and a run backed by PostgreSQL', async () => {
    const api = `${services.mlflowUrl}/api/2.0/mlflow`;
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${api}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const { experiment_id } = (await post('experiments/create', { name: `testkit-${Date.now()}` })) as { experiment_id: string };
    const { run } = (await post('runs/create', { experiment_id, start_time: Date.now() })) as { run: { info: { run_id: string; artifact_uri: string } } };
    await post('runs/log-batch', { run_id: run.info.run_id, metrics: [{ key: 'loss', value: 0.5, timestamp: Date.now(), step: 1 }] });
    const history = await fetch(`${api}/metrics/get-history?run_id=${run.info.run_id}&metric_key=loss`);
    expect(((await history.json()) as { metrics: Array<{ value: number; step: number }> }).metrics).toEqual([
      expect.objectContaining({ value: 0.5, step: 1 }),
    ]);
    expect(run.info.artifact_uri).toMatch(/^mlflow-artifacts:\//);
  });
});

describe('wantedServices', () => {
  it('parses PLZ_TEST_SERVICES', () => {
    expect([...wantedServices(undefined)]).toEqual(['postgres', 'redis', 'minio', 'mlflow']);
    expect([...wantedServices('none')]).toEqual([]);
    expect([...wantedServices('redis, minio')]).toEqual(['redis', 'minio']);
    expect(() => wantedServices('mysql')).toThrow('unknown service(s) mysql');
  });
});

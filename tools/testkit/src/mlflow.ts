import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createDatabase } from './postgres.js';
import { s3Client, type S3Settings } from './minio.js';
import { freePort, startProcess, waitUntilReady } from './process.js';
import { toolPaths } from './tools.js';

/** A throwaway MLflow tracking server; `url` is its base (REST API under `/api/2.0/mlflow/`). */
export interface MlflowService {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `mlflow server` backed by a new database (driver named: SQLAlchemy 2.1 maps a bare
 * `postgresql://` to psycopg 3, which the venv lacks) on the given PostgreSQL server and by the bucket
 * `mlflow` on the given MinIO (artifacts proxied by the server: `--artifacts-destination s3://mlflow`).
 * Ready when `GET /health` answers 200; the first start runs MLflow's migrations (10-40 s).
 * `workers` server processes (default `PLZ_TEST_MLFLOW_WORKERS`, else 1; a deployment runs 2).
 */
export async function startMlflow(postgresAdminUrl: string, s3: S3Settings, workers = Number(process.env['PLZ_TEST_MLFLOW_WORKERS'] ?? 1)): Promise<MlflowService> {
  const { mlflow } = toolPaths();
  const backend = (await createDatabase(postgresAdminUrl, 'mlflow')).replace(/^postgres:/, 'postgresql+psycopg2:');
  const client = s3Client(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'mlflow' })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  } finally {
    client.destroy();
  }
  const port = await freePort();
  const proc = startProcess(
    'mlflow',
    mlflow,
    ['server', '--host', '127.0.0.1', '--port', String(port), '--backend-store-uri', backend,
      '--artifacts-destination', 's3://mlflow', '--workers', String(workers)],
    {
      env: {
        ...process.env,
        MLFLOW_S3_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_DEFAULT_REGION: s3.region,
        // as a deployment runs it (envs/mlflow.env): no server-side job processes
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady('mlflow', proc, async () => (await fetch(`${url}/health`)).ok, 180_000);
  return { url, stop: () => proc.stop() };
}

export { toolPaths, toolsDir, type ToolPaths } from './tools.js';
export { freePort, startProcess, waitUntilReady, type RunningProcess } from './process.js';
export { startPostgres, createDatabase, type PostgresService } from './postgres.js';
export { startRedis, type RedisService } from './redis.js';
export { startMinio, s3Client, createBucket, ensureBucket, type MinioService, type S3Settings } from './minio.js';
export { startMlflow, type MlflowService } from './mlflow.js';
export { testServices, startTestServices, stopAll, wantedServices, type TestServices, type ServiceName } from './services.js';

export * from './limits.js';
export { MlflowClient, type MlflowClientOptions, type CreateRunInput, type UpdateRunInput, type SearchRunsInput, type RunsPage, type LogBatchInput, type ArtifactBody } from './client.js';
export { MlflowError, isMlflowError, isRetryable, mlflowErrorCodes, type MlflowErrorInit } from './http/errors.js';
export type { RetryEvent, RetryOptions, TransportOptions } from './http/transport.js';
export { artifactPath, artifactPathFromUri, runArtifactRoot, type ArtifactLocation, type RunArtifact } from './artifacts.js';
export { mlflowTags, experimentKinds } from './systemTags.js';
export { keyLimits, isValidKey, sanitizeKey, joinKey } from './naming/keys.js';
export { flattenParams, flattenMeasures, limitParamValue, truncationMarker, type MeasureOptions } from './naming/flatten.js';
export {
  encodeMetricValue,
  decodeMetricValue,
  type Experiment,
  type FileInfo,
  type Run,
  type RunData,
  type RunInfo,
  type RunStatus,
  type ViewType,
} from './types.js';
export type { components as MlflowSchemas, paths as MlflowPaths } from './generated/mlflow.js';

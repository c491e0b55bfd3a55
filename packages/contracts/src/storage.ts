/** Connection settings of the S3 endpoint (MinIO) shared by the REST API, the worker and the tests. */
export interface S3Settings {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * Options for `new S3Client(...)` (@aws-sdk/client-s3) against MinIO: path-style addressing, and
 * checksums only when required, since @aws-sdk/client-s3 >= 3.729 adds CRC checksums by default
 * (NOTES.md, "npm packages"). A plain object, so this package needs no SDK.
 */
export function minioClientOptions(settings: S3Settings) {
  return {
    endpoint: settings.endpoint,
    region: settings.region,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
}

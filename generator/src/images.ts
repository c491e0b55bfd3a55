/**
 * Upstream images of a deployment, pinned. They match tools/versions.env of the plz repository
 * (a test checks it), where the stand-in images of the build machines carry the same tags.
 */
export const upstreamImages = {
  postgres: 'postgres:15-bookworm',
  redis: 'redis:7.0-bookworm',
  nginx: 'nginx:1.22.1',
  minio: 'minio/minio:RELEASE.2025-09-07T16-13-09Z',
  mc: 'minio/mc:RELEASE.2025-08-13T08-35-41Z',
} as const;

/** The images plz itself builds (services/<name>/Dockerfile), named `plz-<name>`. */
export const plzImageNames = ['restapi', 'worker', 'mlflow'] as const;
export type PlzImageName = (typeof plzImageNames)[number];

/** Tag of images built from the plz sources copied into a deployment (no registry given). */
export const localImageTag = 'dev';

/**
 * The reference of one plz image: `<registry>/plz-<name>:<tag>`, or `plz-<name>:<tag>` for an
 * image built locally. Local images are shared by every deployment on a host, as upstream ones are.
 */
export function plzImage(name: PlzImageName, registry: string, tag: string): string {
  const repository = `plz-${name}`;
  return registry === '' ? `${repository}:${tag}` : `${registry.replace(/\/+$/, '')}/${repository}:${tag}`;
}

import { z } from 'zod';
import { route, type AnyRoute } from '../http/route.js';
import type { Services } from '../runtime.js';
import type { BlobKind } from '../services/blobs.js';
import { errors, ShaParams } from './schemas.js';

const Stored = z.object({ sha256: z.string(), created: z.boolean() });

/** `HEAD` and `PUT` of content-addressed blobs: `/api/v1/snapshots/{sha256}` and `/api/v1/inputs/{sha256}`. */
function blobRoutes(services: Services, kind: BlobKind, plural: string, contentType: string): AnyRoute[] {
  const path = `/api/v1/${plural}/:sha256`;
  return [
    route({
      method: 'head',
      path,
      tag: plural,
      summary: `Is this ${kind} stored? 200 (with its size in X-Plz-Size) when it is, 404 when not`,
      access: 'user',
      params: ShaParams,
      responses: { 200: { description: 'Stored' }, ...errors(400, 401, 404) },
      handle: async ({ params }) => {
        const size = await services.blobs.size(kind, params.sha256);
        return size === null ? { status: 404 } : { status: 200, headers: { 'X-Plz-Size': String(size) } };
      },
    }),
    route({
      method: 'put',
      path,
      tag: plural,
      summary: `Upload a ${kind} by the sha256 of its content`,
      description:
        `Streams the body to the object store while hashing it (a multipart upload, parts sent in parallel, straight to the blob's key); ` +
        `the upload is completed only when the body's sha256 is the one in the path, else aborted with nothing kept. ` +
        `A no-op (200) when it is stored already. Bodies over the configured limit get 413.`,
      access: 'user',
      params: ShaParams,
      rawBody: { contentType, description: `The ${kind}` },
      responses: {
        200: { description: 'Stored already; the body was not read', schema: Stored },
        201: { description: 'Stored', schema: Stored },
        ...errors(400, 401, 413, 422),
      },
      handle: async ({ params, req, res }) => {
        const length = req.headers['content-length'];
        const declared = length === undefined ? undefined : Number(length);
        try {
          const outcome = await services.blobs.put(kind, params.sha256, req, declared);
          if (!req.readableEnded) res.setHeader('Connection', 'close');
          return { status: outcome === 'created' ? 201 : 200, body: { sha256: params.sha256, created: outcome === 'created' } };
        } catch (error) {
          // The rest of the body is not wanted: close the connection after the answer.
          if (!req.readableEnded) res.setHeader('Connection', 'close');
          throw error;
        }
      },
    }),
  ];
}

/** Routes of snapshots (tar.gz of the code) and inputs (tar of the input directory). */
export function snapshotAndInputRoutes(services: Services): AnyRoute[] {
  return [...blobRoutes(services, 'snapshot', 'snapshots', 'application/gzip'), ...blobRoutes(services, 'input', 'inputs', 'application/x-tar')];
}

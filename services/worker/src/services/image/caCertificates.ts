import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';

/**
 * Extra CA certificates in job image builds (a deployment whose outbound TLS is re-signed by a
 * proxy, or a company CA).
 *
 * When EXTRA_CA_CERTIFICATES_DIR holds `*.crt` files, the worker adds one PEM bundle to the build
 * context at `caBundleContextPath` (Node's bundled Mozilla roots followed by the extra
 * certificates, so that pointing a tool at it trusts the public roots too) and inserts, after every
 * `FROM` of the snapshot's Dockerfile, a COPY of it to `caBundleImagePath` and an ENV pointing the
 * usual variables at it (`caBundleEnv`). That needs no shell nor `update-ca-certificates` in the
 * base image, works for generated Dockerfiles and users' own alike, and also serves the job at run
 * time (downloads of datasets and weights). A `.dockerignore` in the snapshot gets an exception
 * line for the bundle (buildContext.ts `withContextExceptions`). Without certificates no preamble is
 * inserted (the skeleton's COPY is added either way: skeleton.ts).
 *
 * The image tag derives from the snapshot only: certificates added later reach new snapshots.
 */
export const caBundleContextPath = '.plz-build/ca-certificates.pem';
export const caBundleImagePath = '/etc/plz/ca-certificates.pem';

/** Variables read by OpenSSL, Python's requests, pip, curl, Node.js, git and the AWS SDKs. */
export const caBundleEnv = ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'PIP_CERT', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS', 'GIT_SSL_CAINFO', 'AWS_CA_BUNDLE'] as const;

/**
 * Reads the `*.crt` files of `directory` (sorted by name) and returns the bundle to add to build
 * contexts, or undefined when the directory is unset, missing or has no certificate.
 */
export async function caBundle(directory: string | undefined): Promise<string | undefined> {
  if (!directory) return undefined;
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const extra: string[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.crt')).sort()) {
    const text = (await readFile(path.join(directory, name), 'utf8')).trim();
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${path.join(directory, name)} is not a PEM certificate`);
    extra.push(`# ${name}\n${text}`);
  }
  if (extra.length === 0) return undefined;
  return `${[...rootCertificates, ...extra].join('\n')}\n`;
}

/** Lines inserted after each FROM of a Dockerfile when the build carries a CA bundle. */
export function caPreamble(): string[] {
  return [
    '# plz: extra CA certificates of this deployment (EXTRA_CA_CERTIFICATES_DIR)',
    `COPY ${caBundleContextPath} ${caBundleImagePath}`,
    `ENV ${caBundleEnv.map((name) => `${name}=${caBundleImagePath}`).join(' ')}`,
  ];
}

/**
 * Inserts `preamble` after every FROM instruction of a Dockerfile (including multi-line FROM
 * instructions continued with the escape character, `\` unless a `# escape=` parser directive
 * says otherwise; https://docs.docker.com/reference/dockerfile/#escape).
 */
export function withPreambleAfterFrom(dockerfile: string, preamble: readonly string[]): string {
  const lines = dockerfile.split(/\r?\n/);
  const escape = /^#\s*escape\s*=\s*(\S)\s*$/im.exec(dockerfile.split(/\r?\n(?!#)/, 1)[0] ?? '')?.[1] ?? '\\';
  const out: string[] = [];
  let inFrom = false;
  let continued = false;
  for (const line of lines) {
    out.push(line);
    const trimmed = line.trim();
    if (!continued) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      inFrom = /^from\s/i.test(trimmed);
    } else if (trimmed === '' || trimmed.startsWith('#')) {
      continue; // empty and comment lines inside a continued instruction do not end it
    }
    continued = trimmed.endsWith(escape);
    if (inFrom && !continued) {
      out.push(...preamble);
      inFrom = false;
    }
  }
  return out.join('\n');
}

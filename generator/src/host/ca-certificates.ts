import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listFiles } from '../render/templates.js';

/**
 * Where Debian and Ubuntu keep the CA certificates an administrator added to the host's trust
 * (`update-ca-certificates`(8) reads every `*.crt` below it): a proxy that re-signs TLS puts its
 * root there. `--host-ca-certificates` names another folder.
 */
export const hostCaCertificatesDirectory = '/usr/local/share/ca-certificates';

/** A host CA certificate the deployment lacks: its file, and the name it gets in `ssl/ca-certificates/`. */
export interface MissingCaCertificate {
  source: string;
  name: string;
}

/** A certificate file's content, compared without line-ending and trailing-space differences. */
const normalized = (file: string): string => readFileSync(file, 'utf8').replaceAll('\r\n', '\n').trim();

/**
 * The host's extra CA certificates (every `*.crt` below `hostDirectory`, sub-folders included)
 * whose content no `*.crt` of the deployment's `ssl/ca-certificates/` has, each with the file name
 * it gets there: its own, or `host-<sub-folder>-<name>` when that name is taken by another
 * certificate.
 *
 * @param hostDirectory the host's folder (absent: no certificate).
 * @param deploymentDirectory the deployment folder (its `ssl/ca-certificates/` may be absent).
 */
export function missingCaCertificates(hostDirectory: string, deploymentDirectory: string): MissingCaCertificate[] {
  if (!existsSync(hostDirectory)) return [];
  const target = path.join(deploymentDirectory, 'ssl', 'ca-certificates');
  const present = existsSync(target) ? listFiles(target).filter((file) => !file.includes('/') && file.endsWith('.crt')) : [];
  const contents = new Set(present.map((file) => normalized(path.join(target, file))));
  const names = new Set(present);
  const missing: MissingCaCertificate[] = [];
  for (const file of listFiles(hostDirectory).filter((name) => name.endsWith('.crt'))) {
    const source = path.join(hostDirectory, file);
    const content = normalized(source);
    if (contents.has(content)) continue;
    contents.add(content);
    let name = path.basename(file);
    if (names.has(name)) name = `host-${file.replaceAll('/', '-')}`;
    names.add(name);
    missing.push({ source, name });
  }
  return missing;
}

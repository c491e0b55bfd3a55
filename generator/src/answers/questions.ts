import path from 'node:path';
import {
  isLoopbackAddress,
  validateBindAddress,
  validateComposeCommand,
  validateCpuWorkers,
  validateDatasetsDirectory,
  validateGpus,
  validateImageRegistry,
  validateImageTag,
  validateName,
  validatePort,
  validatePortsDiffer,
  validateServerName,
  validateSystemdMounts,
  parseWholeNumber,
  type Validation,
} from './validators.js';
import type { AnswerName } from './schema.js';

/** One question of the generator, asked interactively or answered by its flag. */
export interface Question {
  name: AnswerName;
  /** Command-line flag (`--http-port`), kebab-case. */
  flag: string;
  message: string;
  kind: 'text' | 'confirm';
  /** Checks an answer given the answers so far (raw values). */
  validate: (value: string, answers: Record<string, unknown>) => Validation;
  /** Normalises a raw answer before validation (relative paths become absolute). */
  normalize?: (value: string, cwd: string) => string;
  /** Whether the prompt asks it, given the answers so far (raw values); asked always when absent. Its flag is always read. */
  when?: (answers: Record<string, unknown>) => boolean;
}

const resolvePath = (value: string, cwd: string): string => (value.trim() === '' ? '' : path.resolve(cwd, value.trim()));

/** The questions, in the order they are asked. Every one has a flag, so the generator runs unattended. */
export const questions: readonly Question[] = [
  { name: 'name', flag: 'name', kind: 'text', message: 'Deployment name (its slug names the compose project, volumes and networks)', validate: validateName },
  { name: 'serverName', flag: 'server-name', kind: 'text', message: 'Server name clients use to reach this host', validate: validateServerName },
  { name: 'bindAddress', flag: 'bind-address', kind: 'text', message: 'Host address NGINX listens on (127.0.0.1: this machine only; 0.0.0.0: every interface)', validate: validateBindAddress },
  { name: 'httpPort', flag: 'http-port', kind: 'text', message: 'HTTP port on the host', validate: (value) => validatePort('HTTP port', value) },
  {
    name: 'httpsPort',
    flag: 'https-port',
    kind: 'text',
    message: 'HTTPS port on the host',
    validate: (value, answers) => {
      const port = validatePort('HTTPS port', value);
      if (port !== true) return port;
      const http = parseWholeNumber(String(answers['httpPort'] ?? ''));
      return http === undefined ? true : validatePortsDiffer(http, parseWholeNumber(value) ?? 0);
    },
  },
  { name: 'https', flag: 'https', kind: 'confirm', message: 'Serve HTTPS from the start (certificate and key in ssl/nginx/)?', validate: () => true },
  {
    name: 'allowPlainHttp',
    flag: 'allow-plain-http',
    kind: 'confirm',
    message: 'Allow plain HTTP on a bind address other than loopback (tokens and session cookies cross the network in clear text: a trusted network only)?',
    validate: () => true,
    when: (answers) => answers['https'] !== true && answers['https'] !== 'true' && !isLoopbackAddress(String(answers['bindAddress'] ?? '').trim()),
  },
  { name: 'gpus', flag: 'gpus', kind: 'text', message: 'GPU workers: device ids, "," between workers, "+" within one (0,1,2,3 or 0+1,2+3 or none)', validate: validateGpus },
  { name: 'cpuWorkers', flag: 'cpu-workers', kind: 'text', message: 'Number of CPU workers', validate: validateCpuWorkers },
  {
    name: 'datasetsDirectory',
    flag: 'datasets-directory',
    kind: 'text',
    message: 'Host folder of datasets, mounted read-only at /datasets in jobs (empty: none)',
    validate: (value) => validateDatasetsDirectory(value),
    normalize: resolvePath,
  },
  { name: 'imageRegistry', flag: 'image-registry', kind: 'text', message: 'Registry of the plz images (empty: build them here from the sources)', validate: validateImageRegistry },
  { name: 'imageTag', flag: 'image-tag', kind: 'text', message: 'Tag of the plz images', validate: validateImageTag },
  { name: 'composeCommand', flag: 'compose-command', kind: 'text', message: 'Docker Compose v2 command', validate: validateComposeCommand },
  { name: 'systemdMounts', flag: 'systemd-mounts', kind: 'text', message: 'Mounts systemd must wait for, space-separated (the deployment and datasets folders are added)', validate: validateSystemdMounts },
];

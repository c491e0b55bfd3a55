import { statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { parseGpuGroups } from '../gpus.js';
import { slugify } from '../slug.js';

/**
 * Validators of the generator's answers. Each is a pure function of the answer (and, where a
 * rule spans two answers, of the other one) returning `true` or a message fit for the prompt and
 * for the command line. The prompts, the flags and the final schema all use these.
 */
export type Validation = true | string;

/** Longest slug: compose project names, volume names and systemd units stay readable. */
export const maxSlugLength = 40;

/** A deployment name: starts with a letter; letters, digits, spaces, `-`, `_`, `.`; slug of 1-40 characters. */
export function validateName(value: string): Validation {
  const name = value.trim();
  if (!/^[A-Za-z][A-Za-z0-9 ._-]*$/.test(name)) {
    return `deployment name "${value}" is not usable: start with a letter, then use letters, digits, spaces, ".", "_" or "-"`;
  }
  const slug = slugify(name);
  if (slug.length > maxSlugLength) {
    return `deployment name "${value}" is too long: its slug "${slug}" names the compose project, volumes and networks and must be at most ${maxSlugLength} characters`;
  }
  return true;
}

/** A DNS name (RFC 1123 labels) or an IP address: what clients type to reach NGINX. */
export function validateServerName(value: string): Validation {
  if (isIP(value) !== 0) return true;
  const labels = value.split('.');
  const labelOk = (label: string): boolean => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label);
  if (value.length === 0 || value.length > 253 || !labels.every(labelOk)) {
    return `server name "${value}" is not a host name (such as plz.example.org or localhost) or an IP address`;
  }
  return true;
}

/** The host address NGINX publishes its ports on: an IPv4 or IPv6 address (0.0.0.0 for every interface). */
export function validateBindAddress(value: string): Validation {
  return isIP(value) !== 0 ? true : `bind address "${value}" is not an IP address: use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of the host's addresses`;
}

/** The loopback ranges: 127.0.0.0/8 and ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether an IP address is a loopback address (reachable from this machine only); false for anything else. */
export function isLoopbackAddress(value: string): boolean {
  const family = isIP(value);
  if (family === 0) return false;
  return loopback.check(value, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Plain HTTP only on a loopback bind address, unless allowed: without TLS, API tokens, passwords
 * and browser session cookies would cross the network in clear text.
 *
 * @param bindAddress the host address NGINX publishes its ports on (an IP address).
 * @param https whether NGINX serves HTTPS.
 * @param allowPlainHttp the operator's `--allow-plain-http` (a trusted network).
 */
export function validatePlainHttp(bindAddress: string, https: boolean, allowPlainHttp: boolean): Validation {
  if (https || allowPlainHttp || isLoopbackAddress(bindAddress)) return true;
  return (
    `bind address "${bindAddress}" is reachable from the network, and without HTTPS API tokens and browser session cookies would cross it in clear text: ` +
    'enable HTTPS (--https, with a certificate and key in ssl/nginx/), bind to 127.0.0.1, or pass --allow-plain-http if the network is trusted'
  );
}

/** Parses a whole number written in decimal digits, or returns undefined. */
export function parseWholeNumber(value: string | number): number | undefined {
  const text = String(value).trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** A TCP port 0-65535; 0 lets Docker choose a free port (useful for tests). */
export function validatePort(label: string, value: string | number): Validation {
  const port = parseWholeNumber(value);
  if (port === undefined || port > 65535) return `${label} "${value}" is not a port number (0-65535; 0 lets Docker choose a free port)`;
  return true;
}

/** The HTTP and HTTPS ports must differ, unless Docker chooses both (0). */
export function validatePortsDiffer(httpPort: number, httpsPort: number): Validation {
  if (httpPort !== 0 && httpPort === httpsPort) {
    return `the HTTP and HTTPS ports clash: both are ${httpPort}; give --http-port and --https-port different values`;
  }
  return true;
}

/** GPU groups as parseGpuGroups reads them (`0,1,2,3`, `0+1,2+3`, `none`). */
export function validateGpus(value: string): Validation {
  try {
    parseGpuGroups(value);
    return true;
  } catch (error) {
    return `--gpus: ${(error as Error).message}`;
  }
}

/**
 * A whole number from `least` to `most`, named by its flag.
 *
 * @param what what it counts, plural ("hours"), for the message.
 * @param hint a word on the bounds or the meaning ("8760 is a year"), for the message.
 */
export function validateWholeNumberWithin(flag: string, value: string | number, least: number, most: number, what: string, hint: string): Validation {
  const number = parseWholeNumber(value);
  if (number === undefined || number < least || number > most) return `--${flag} "${value}" is not a whole number of ${what} from ${least} to ${most} (${hint})`;
  return true;
}

/*
 * Fair sharing of the queues (envs/queue.env, read by the REST API and every worker). The bounds
 * are those of FairShareEnv (packages/lifecycle/src/dispatch/settings.ts); the window is asked in
 * whole hours, though the services would also take fractions.
 */

/** Hours of use of a queue's workers remembered (--fair-share-window-hours, FAIR_SHARE_WINDOW_HOURS): 1 to 8760. */
export const validateFairShareWindowHours = (value: string | number): Validation =>
  validateWholeNumberWithin('fair-share-window-hours', value, 1, 8760, 'hours', '24 is a day, 8760 a year');

/** Seconds every execution counts at least (--fair-share-quantum-seconds, FAIR_SHARE_QUANTUM_SECONDS): 1 to 86400. */
export const validateFairShareQuantumSeconds = (value: string | number): Validation =>
  validateWholeNumberWithin('fair-share-quantum-seconds', value, 1, 86_400, 'seconds', '86400 is a day');

/** Executions of one user the workers of one queue hold at once (--max-running-per-user, MAX_RUNNING_PER_USER): 0 (no cap) to 100000. */
export const validateMaxRunningPerUser = (value: string | number): Validation =>
  validateWholeNumberWithin('max-running-per-user', value, 0, 100_000, 'executions', '0: no cap');

/** `high` executions a user who is not an admin may submit per window (--high-priority-allowance, HIGH_PRIORITY_ALLOWANCE): 0 (admins only) to 1000000. */
export const validateHighPriorityAllowance = (value: string | number): Validation =>
  validateWholeNumberWithin('high-priority-allowance', value, 0, 1_000_000, 'executions', '0: only admins submit high-priority executions');

/** Most CPU workers one deployment runs. */
export const maxCpuWorkers = 64;

/** A count of CPU workers, 0-64. */
export function validateCpuWorkers(value: string | number): Validation {
  const count = parseWholeNumber(value);
  if (count === undefined || count > maxCpuWorkers) return `number of CPU workers "${value}" is not a whole number from 0 to ${maxCpuWorkers}`;
  return true;
}

/** A deployment runs at least one worker. */
export function validateWorkerCount(gpuWorkers: number, cpuWorkers: number): Validation {
  return gpuWorkers + cpuWorkers > 0 ? true : 'this deployment would have no worker: give --gpus (for example 0,1) or --cpu-workers 1 or more';
}

/** Characters refused in host paths: they would need quoting in env files, compose and systemd units. */
const unsafePathCharacters = /[\s'"`$\\#;,&|<>*?]/;

/** `''` (no datasets) or an absolute path to an existing folder, without characters that need quoting. */
export function validateDatasetsDirectory(value: string, isDirectory: (p: string) => boolean = isExistingDirectory): Validation {
  if (value === '') return true;
  if (!path.isAbsolute(value)) return `datasets folder "${value}" is not an absolute path`;
  if (unsafePathCharacters.test(value)) return `datasets folder "${value}" contains spaces, quotes or shell characters: use a path without them (a symbolic link will do)`;
  if (!isDirectory(value)) return `datasets folder "${value}" does not exist (or is not a folder): create it first, or leave the answer empty for no datasets`;
  return true;
}

/** Whether `p` names an existing folder (following links). */
export function isExistingDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `''` (build the images from the copied sources) or a registry path as Docker references start:
 * a host with an optional port, then lower-case path components (`ghcr.io/acme`, `registry:5000/plz`).
 * Source: the distribution reference grammar (github.com/distribution/reference).
 */
export function validateImageRegistry(value: string): Validation {
  if (value === '') return true;
  const host = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?))*(?::\\d+)?';
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  if (!new RegExp(`^${host}(?:/${component})*$`).test(value)) {
    return `image registry "${value}" is not a registry path such as ghcr.io/acme or registry.local:5000/plz (leave it empty to build the images here)`;
  }
  return true;
}

/** A Docker tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. Source: Docker's reference grammar. */
export function validateImageTag(value: string): Validation {
  return /^[\w][\w.-]{0,127}$/.test(value) ? true : `image tag "${value}" is not a Docker tag (letters, digits, "_", "." and "-", at most 128)`;
}

/** The Compose v2 command as words without quotes: `docker compose`, `/usr/bin/docker compose`, `docker-compose`. */
export function validateComposeCommand(value: string): Validation {
  if (!/^[A-Za-z0-9_./+-]+( [A-Za-z0-9_./+-]+)*$/.test(value.trim())) {
    return `compose command "${value}" must be words without quotes or shell characters, such as "docker compose" or "/usr/local/bin/docker-compose"`;
  }
  return true;
}

/** Absolute paths separated by spaces: mounts systemd waits for before starting the deployment. */
export function validateSystemdMounts(value: string): Validation {
  for (const mount of splitWords(value)) {
    if (!path.isAbsolute(mount) || unsafePathCharacters.test(mount)) {
      return `systemd required mount "${mount}" is not an absolute path without spaces, quotes or shell characters`;
    }
  }
  return true;
}

/** Splits a space- or comma-separated list, dropping empty words. */
export function splitWords(value: string): string[] {
  return value.split(/[\s,]+/).filter((word) => word !== '');
}

/**
 * A port the controller publishes for worker hosts (`--worker-hosts-redis-port` ...): 1-65535.
 * Not 0: the join bundle names the port, so it must be known when the bundle is written.
 */
export function validateWorkerHostsPort(flag: string, value: string | number): Validation {
  const port = parseWholeNumber(value);
  if (port === undefined || port < 1 || port > 65535) return `--${flag} "${value}" is not a port number (1-65535; join bundles name it, so Docker cannot choose it)`;
  return true;
}

/**
 * The ports published for worker hosts on one address must all differ, and differ from NGINX's
 * HTTP and HTTPS ports when those are published on the same address (or on every interface).
 *
 * @param ports flag name and port of each worker-hosts port.
 * @param nginx NGINX's bind address and ports (0: Docker chooses, never a clash).
 */
export function validateWorkerHostsPortsDiffer(address: string, ports: ReadonlyArray<[string, number]>, nginx: { bindAddress: string; http: number; https: number }): Validation {
  const seen = new Map<number, string>();
  const overlaps = address === nginx.bindAddress || ['0.0.0.0', '::'].includes(address) || ['0.0.0.0', '::'].includes(nginx.bindAddress);
  if (overlaps) {
    if (nginx.http !== 0) seen.set(nginx.http, 'http-port');
    if (nginx.https !== 0) seen.set(nginx.https, 'https-port');
  }
  for (const [flag, port] of ports) {
    const other = seen.get(port);
    if (other !== undefined) return `the worker-hosts ports clash: --${flag} and --${other} are both ${port} on ${address}; give them different values`;
    seen.set(port, flag);
  }
  return true;
}

/** A deployment folder's role: `controller` (the whole deployment) or `worker` (a worker host). */
export function validateRole(value: string): Validation {
  return value === 'controller' || value === 'worker' ? true : `role "${value}" is not controller or worker`;
}

/**
 * The address a worker host reaches its controller at, mapped to the bundle's server name in the
 * workers (compose `extra_hosts`): one IPv4 or IPv6 address, not "every interface" (0.0.0.0, ::).
 */
export function validateControllerAddress(value: string): Validation {
  if (isIP(value) === 0) return `controller address "${value}" is not an IP address (the address the worker host reaches the controller's published ports at)`;
  if (value === '0.0.0.0' || value === '::') return `controller address "${value}" is not one address: give the one the controller's worker-hosts ports are published on`;
  return true;
}

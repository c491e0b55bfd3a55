import { isIP } from 'node:net';
import { parseGpuGroups } from '../gpus.js';
import { plzImage, upstreamImages } from '../images.js';
import { generatorVersion } from '../paths.js';
import { slugify } from '../slug.js';
import type { Answers, Role } from '../answers/schema.js';
import type { JoinedController } from '../join/bundle.js';
import { isLoopbackAddress } from '../answers/validators.js';

/** One worker service of the compose file. */
export interface WorkerContext {
  /** Compose service name: `worker-gpu-<i>` (i-th GPU group) or `worker-cpu-<n>`. */
  service: string;
  /**
   * WORKER_ID, unique across the hosts sharing one Redis: `<slug>-<service>` on a controller,
   * `<workerHost>-gpu-<i>` / `<workerHost>-cpu-<n>` on a worker host (the name its bundle gives it).
   */
  id: string;
  /** NVIDIA device ids of the worker; empty for a CPU worker. */
  devices: string[];
  /** NVIDIA_VISIBLE_DEVICES: the ids joined by `,`, or `none`. */
  visibleDevices: string;
}

/** What the controller publishes for workers on other hosts (ARCHITECTURE.md §7). */
export interface WorkerHostsContext {
  /** Host address the ports are published on. */
  address: string;
  ports: { redis: number; postgres: number; s3: number; mlflow: number };
  /**
   * Names and addresses the worker-hosts certificate covers (subjectAltName entries such as
   * `DNS:localhost`, `IP:127.0.0.1`): the server name, the address when it is a single one, the
   * loopback names, and `db` and `redis` (the services' own names inside the deployment).
   */
  subjectAltNames: string[];
}

/** A worker host's controller (`--role worker --join BUNDLE`): what its templates need, nothing secret. */
export interface WorkerHostContext extends JoinedController {
  /** The controller's IP address mapped to its server name in the workers (`extra_hosts`), '' for none. */
  controllerAddress: string;
  /** Where the controller's CA certificate is inside the workers (CONTROLLER_CA_FILE and NODE_EXTRA_CA_CERTS). */
  caFile: string;
}

/** Everything the templates see: derived from the answers only (STYLE.md, Yeoman generator). */
export interface DeploymentContext {
  generatorVersion: string;
  /** `controller` (the whole deployment) or `worker` (a worker host: its workers only). */
  role: Role;
  /** The controller a worker host joins (role `worker`), false on a controller. */
  workerHost: WorkerHostContext | false;
  name: string;
  slug: string;
  serverName: string;
  bindAddress: string;
  /** Whether the bind address is loopback (127.0.0.0/8, ::1): NGINX is reachable from this machine only. */
  bindLoopback: boolean;
  /** Plain HTTP allowed on a bind address that is not loopback (--allow-plain-http). */
  allowPlainHttp: boolean;
  ports: { http: number; https: number };
  https: boolean;
  workers: WorkerContext[];
  gpuWorkers: WorkerContext[];
  cpuWorkers: WorkerContext[];
  /** NVIDIA device ids of every GPU worker, in order (empty without GPU workers). */
  gpuDevices: string[];
  /** Absolute host folder of datasets, '' for none. */
  datasetsDirectory: string;
  images: {
    /** Whether compose builds the plz images from the copied sources (no registry given). */
    build: boolean;
    restapi: string;
    worker: string;
    mlflow: string;
    postgres: string;
    redis: string;
    nginx: string;
    minio: string;
    mc: string;
  };
  composeCommand: string;
  systemdMounts: string[];
  /** Host names MLflow accepts (MLFLOW_SERVER_ALLOWED_HOSTS), NGINX passing the client's Host. */
  mlflowAllowedHosts: string;
  /** Where users reach the deployment, for messages and DEPLOYMENT.md. */
  urls: { http: string; https: string };
  /** Worker hosts (`--worker-hosts`), false when off. */
  workerHosts: WorkerHostsContext | false;
  /** The answers themselves, as stored in .yo-rc.json. */
  answers: Answers;
}

/** Where the controller's CA certificate is inside a worker host's workers. */
export const controllerCaFile = '/etc/plz/controller/ca.crt';

/**
 * Builds the template context from validated answers; a worker host's (role `worker`) also from
 * what it keeps of its join bundle (`controller`).
 *
 * @throws Error when the role is `worker` and `controller` is not given.
 */
export function deploymentContext(answers: Answers, controller?: JoinedController): DeploymentContext {
  const slug = slugify(answers.name);
  if (answers.role === 'worker' && !controller) throw new Error('a worker host needs its controller: give --join BUNDLE');
  const prefix = answers.role === 'worker' && controller ? `${controller.workerHost}-` : `${slug}-worker-`;
  const gpuWorkers = parseGpuGroups(answers.gpus).map((devices, index) => worker(`${prefix}gpu-${index}`, `worker-gpu-${index}`, devices));
  const cpuWorkers = Array.from({ length: answers.cpuWorkers }, (_, index) => worker(`${prefix}cpu-${index}`, `worker-cpu-${index}`, []));
  const image = (name: 'restapi' | 'worker' | 'mlflow'): string => plzImage(name, answers.imageRegistry, answers.imageTag);
  return {
    generatorVersion,
    role: answers.role,
    workerHost: answers.role === 'worker' && controller ? { ...controller, controllerAddress: answers.controllerAddress, caFile: controllerCaFile } : false,
    name: answers.name,
    slug,
    serverName: answers.serverName,
    bindAddress: answers.bindAddress,
    bindLoopback: isLoopbackAddress(answers.bindAddress),
    allowPlainHttp: answers.allowPlainHttp,
    ports: { http: answers.httpPort, https: answers.httpsPort },
    https: answers.https,
    workers: [...gpuWorkers, ...cpuWorkers],
    gpuWorkers,
    cpuWorkers,
    gpuDevices: gpuWorkers.flatMap((w) => w.devices),
    datasetsDirectory: answers.datasetsDirectory,
    images: { build: answers.imageRegistry === '', restapi: image('restapi'), worker: image('worker'), mlflow: image('mlflow'), ...upstreamImages },
    composeCommand: answers.composeCommand,
    systemdMounts: answers.systemdMounts === '' ? [] : answers.systemdMounts.split(' '),
    mlflowAllowedHosts: allowedHosts(answers),
    urls: { http: url('http', answers.serverName, answers.httpPort, 80), https: url('https', answers.serverName, answers.httpsPort, 443) },
    workerHosts: answers.workerHosts ? workerHosts(answers) : false,
    answers,
  };
}

function workerHosts(answers: Answers): WorkerHostsContext {
  const name = (value: string): string => (isIP(value) === 0 ? `DNS:${value}` : `IP:${value}`);
  const names = [name(answers.serverName)];
  if (!['0.0.0.0', '::'].includes(answers.workerHostsAddress)) names.push(name(answers.workerHostsAddress));
  names.push('DNS:localhost', 'IP:127.0.0.1', 'DNS:db', 'DNS:redis');
  return {
    address: answers.workerHostsAddress,
    ports: { redis: answers.workerHostsRedisPort, postgres: answers.workerHostsPostgresPort, s3: answers.workerHostsMinioPort, mlflow: answers.workerHostsMlflowPort },
    subjectAltNames: [...new Set(names)],
  };
}

function worker(id: string, service: string, devices: string[]): WorkerContext {
  return { service, id, devices, visibleDevices: devices.length === 0 ? 'none' : devices.join(',') };
}

function url(scheme: string, host: string, port: number, standard: number): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return port === standard ? `${scheme}://${name}` : `${scheme}://${name}:${port === 0 ? '<port>' : port}`;
}

/**
 * MLflow refuses requests whose Host header it does not know (DNS-rebinding protection, see
 * `mlflow server --allowed-hosts`). NGINX forwards the client's host, so the server name and the
 * loopback names are allowed, with any port; `mlflow` is the name services use inside the deployment.
 */
function allowedHosts(answers: Answers): string {
  const names = [answers.serverName, 'localhost', '127.0.0.1', 'mlflow'];
  if (answers.bindAddress !== '0.0.0.0' && answers.bindAddress !== '::' && !answers.bindAddress.includes(':')) names.push(answers.bindAddress);
  const unique = [...new Set(names)];
  return unique.flatMap((name) => [name, `${name}:*`]).join(',');
}

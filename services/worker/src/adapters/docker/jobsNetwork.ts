import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { dockerMessage, dockerStatus } from './client.js';

/** How long a worker that created the jobs network (or met duplicates) waits before reading the oldest again, ms; at most settleRounds reads. */
const settleMs = 250;
const settleRounds = 5;

/** Docker's option that keeps containers of a bridge network from reaching each other (Engine API, network create `Options`). */
const iccOption = 'com.docker.network.bridge.enable_icc';

/**
 * Docker's `Created` time of a network as text that sorts in time order: seconds since the epoch
 * (12 digits), `.`, the fraction to 9 digits. Docker writes RFC 3339 with up to 9 fraction digits
 * and trailing zeros dropped (Go's time.RFC3339Nano), so the texts themselves do not sort:
 * `…:05.12Z` sorts after `…:05.123Z`. '' for a missing or unreadable time (sorts first).
 */
export function createdOrder(created: string | undefined): string {
  const match = /^([^.]+?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(created ?? '');
  const ms = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!match || Number.isNaN(ms)) return '';
  return `${String(Math.floor(ms / 1000)).padStart(12, '0')}.${(match[2] ?? '').padEnd(9, '0')}`;
}

/** Networks named exactly `name` (Docker's name filter also matches parts of names), oldest first (createdOrder), ties by id. */
async function networksNamed(docker: Docker, name: string): Promise<Array<{ Id: string; Created?: string }>> {
  const found = (await docker.listNetworks({ filters: { name: [name] } })) as Array<{ Id: string; Name: string; Created?: string }>;
  return found
    .filter((network) => network.Name === name)
    .sort((a, b) => createdOrder(a.Created).localeCompare(createdOrder(b.Created)) || a.Id.localeCompare(b.Id));
}

/**
 * Makes sure the jobs network exists: a bridge network whose containers cannot reach each other
 * (`enable_icc=false`), which reaches the internet through the host's NAT as Docker's bridges do.
 * The worker is not on it (it needs only the Docker API); it creates the network itself, so that
 * no service of the deployment has to join it. Workers starting at once may each create one (the
 * Engine's duplicate check is not atomic): every worker then keeps the oldest network of that name
 * (createdOrder) and removes the others, reading the oldest again after settleMs until it stays
 * the same, so they all converge on one.
 *
 * @returns the network's Linux bridge interface (`Options["com.docker.network.bridge.name"]`, else
 *   Docker's default `br-<first 12 hex of the network id>`).
 * @throws Error when the network exists with containers allowed to talk to each other, or the
 *   engine refuses.
 */
export async function ensureJobsNetwork(docker: Docker, name: string, labels: Record<string, string> = {}): Promise<string> {
  try {
    let raced = false;
    if ((await networksNamed(docker, name)).length === 0) {
      raced = true;
      await docker
        .createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Options: { [iccOption]: 'false' }, Labels: { 'org.plz.network': 'jobs', ...labels } })
        .catch((error: unknown) => {
          if (dockerStatus(error) !== 409) throw error;
        });
    }
    // After a create (or with duplicates), the oldest is read again until it stays the same: a
    // network created before ours may be listed only once its own create has ended.
    let kept: { Id: string } | undefined;
    for (let round = 0; round < settleRounds; round += 1) {
      const [oldest, ...duplicates] = await networksNamed(docker, name);
      if (!oldest) throw new Error('it vanished while being created');
      for (const duplicate of duplicates) await docker.getNetwork(duplicate.Id).remove().catch(() => undefined);
      raced ||= duplicates.length > 0;
      if (!raced || kept?.Id === oldest.Id) {
        kept = oldest;
        break;
      }
      kept = oldest;
      await sleep(settleMs);
    }
    const info = (await docker.getNetwork(kept!.Id).inspect()) as { Id: string; Driver?: string; Options?: Record<string, string> };
    if (info.Driver !== 'bridge' || info.Options?.[iccOption] !== 'false') {
      throw new Error(`the jobs network "${name}" lets its containers reach each other (it needs driver bridge and ${iccOption}=false): remove it (docker network rm ${name}) and start the worker again`);
    }
    return info.Options?.['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('the jobs network')) throw error;
    throw new Error(`cannot make the jobs network "${name}": ${dockerMessage(error)}`, { cause: error });
  }
}

/**
 * The shell script that drops every packet entering the host from `$BRIDGE` (iptables `INPUT`):
 * jobs can no longer open connections to any address of the host itself (the jobs bridge's
 * gateway, the host's LAN address, NGINX's published ports when bound to every address), while
 * their traffic to other hosts goes through `FORWARD` as before and Docker's DNS for the network
 * answers inside each container. It uses whichever iptables backend (nft or legacy) holds Docker's
 * own `DOCKER` chain, and adds the rule once.
 */
export const isolationScript = [
  'set -eu',
  'for ipt in iptables-nft iptables-legacy iptables; do',
  '  command -v "$ipt" >/dev/null 2>&1 || continue',
  '  "$ipt" -w -n -L DOCKER >/dev/null 2>&1 || continue',
  '  if "$ipt" -w -C INPUT -i "$BRIDGE" -j DROP 2>/dev/null; then echo "$ipt: INPUT from $BRIDGE already dropped"; exit 0; fi',
  '  "$ipt" -w -I INPUT -i "$BRIDGE" -j DROP',
  '  echo "$ipt: INPUT from $BRIDGE dropped"',
  '  exit 0',
  'done',
  'echo "no iptables holding Docker\'s DOCKER chain was found" >&2',
  'exit 1',
].join('\n');

/**
 * The image of the container this process runs in (a container's hostname is its id by default),
 * or undefined outside a container.
 */
export async function ownImage(docker: Docker): Promise<string | undefined> {
  try {
    const info = (await docker.getContainer(hostname()).inspect()) as { Image?: string };
    return info.Image;
  } catch {
    return undefined;
  }
}

/**
 * Keeps jobs away from the host: runs isolationScript once in a short-lived container of `image`
 * (which must have iptables; the worker's own image does) in the host's network namespace with
 * NET_ADMIN, through the Docker API the worker already holds. Idempotent; run at every worker
 * start, so that the rule comes back after a reboot. The container is removed afterwards.
 *
 * @returns what the script printed (which backend, added or present).
 * @throws Error with the script's output when it fails.
 */
export async function isolateJobsFromHost(docker: Docker, bridge: string, image: string, labels: Record<string, string> = {}): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    User: '0:0',
    Entrypoint: ['sh', '-c'],
    Cmd: [isolationScript],
    Env: [`BRIDGE=${bridge}`],
    // A terminal: the logs come back as plain text, not multiplexed frames.
    Tty: true,
    Labels: { 'org.plz.role': 'jobs-isolation', ...labels },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'NET_RAW'], AutoRemove: false },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = (await container.logs({ stdout: true, stderr: true, follow: false })).toString('utf8').trim();
    if (StatusCode !== 0) throw new Error(`could not keep jobs away from the host (iptables, exit ${StatusCode}): ${output}`);
    return output;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

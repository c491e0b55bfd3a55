// CPU accounting for the benchmarks: how many CPU seconds each part of the machine spent in a span
// (dockerd, containerd and its shims, PostgreSQL, Redis, MinIO, MLflow, named node processes,
// everything else), read from /proc (Linux only). Processes that ended within the span count only
// where their parent reaped them (cutime/cstime, proc(5)); the machine's total (/proc/stat) counts
// everything.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ; 100 on every Linux that Node supports). */
const HZ = 100;

const GROUPS = [
  ['dockerd', /^dockerd$/],
  ['containerd + shims', /^containerd/],
  ['postgres', /^postgres/],
  ['redis', /^redis/],
  ['minio', /^minio$/],
  ['mlflow', /mlflow|gunicorn|uvicorn|huey/],
];

/** The group of a process: a name given to its pid, else by its command line (GROUPS), else `other`. */
function groupOf(pid, names) {
  if (names.has(pid)) return names.get(pid);
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
  const comm = (() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  })();
  for (const [group, pattern] of GROUPS) if (pattern.test(comm) || (group === 'mlflow' && pattern.test(cmdline))) return group;
  return 'other';
}

/**
 * A snapshot of CPU time: `{ total, byPid: Map<pid, { group, seconds }> }`, total being the machine's
 * busy seconds (all cores; /proc/stat: user + nice + system + irq + softirq + steal), each process's
 * seconds its own and its reaped children's.
 *
 * @param names pid → group name for processes the caller knows (the benchmark's workers, its API).
 */
export function cpuSnapshot(names = new Map()) {
  const [cpuLine] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const total = (user + nice + system + irq + softirq + steal) / HZ;
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // fields after the command name (which may hold spaces): state is field 3, utime 14 … cstime 17
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / HZ;
    const group = groupOf(pid, names);
    if (group) byPid.set(pid, { group, seconds });
  }
  return { total, byPid };
}

/**
 * CPU seconds spent between two snapshots, per group (a process that only the later one has counts
 * from zero: it started in the span; one that ended in the span is lost to its group), with `total` (the machine) and `unattributed` (the
 * machine's total less the groups': ended processes no group reaped, the kernel's own work).
 */
export function cpuSpent(before, after) {
  const spent = {};
  let grouped = 0;
  for (const [pid, { group, seconds }] of after.byPid) {
    const earlier = before.byPid.get(pid);
    const delta = Math.max(0, seconds - (earlier?.group === group ? earlier.seconds : 0));
    spent[group] = (spent[group] ?? 0) + delta;
    grouped += delta;
  }
  spent.total = after.total - before.total;
  spent.unattributed = Math.max(0, spent.total - grouped);
  return spent;
}

/** `spent` (cpuSpent) per unit of work as a line: `group ms, …` per one of `count`, largest first. */
export function cpuLine(spent, count) {
  return Object.entries(spent)
    .filter(([, seconds]) => seconds > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([group, seconds]) => `${group} ${Math.round((seconds * 1000) / count)}`)
    .join(', ');
}

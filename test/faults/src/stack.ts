import { docker, type ComposeProject } from '@plz/test-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One line of `docker compose ps`: a service's container, its state and health. */
export interface ServiceState {
  service: string;
  state: string;
  health: string;
}

/**
 * The operator's hands on a running deployment: compose commands on its project
 * (`docker compose -f FILE -p SLUG ...`), `docker kill` of one container, and waiting for health.
 */
export class Stack {
  private baseUrl = '';

  constructor(readonly project: ComposeProject) {}

  /** The deployment's base URL (`http://127.0.0.1:PORT`), as last read by refreshUrl. */
  url(): string {
    if (!this.baseUrl) throw new Error('Stack.url() before refreshUrl()');
    return this.baseUrl;
  }

  /** Reads NGINX's published port again (a published port 0 changes when the container restarts). */
  async refreshUrl(): Promise<string> {
    this.baseUrl = `http://${(await this.project.compose(['port', 'nginx', '80'])).stdout.trim()}`;
    return this.baseUrl;
  }

  /** Rows of `query` on the REST API's database (psql as the superuser in the db container), columns separated by a space. */
  async sql(query: string): Promise<string[]> {
    const { stdout } = await this.project.compose(['exec', '-T', 'db', 'psql', '-X', '-At', '-F', ' ', '-U', 'postgres', '-d', 'restapi', '-c', query]);
    return stdout.trim().split('\n').filter(Boolean);
  }

  /** The long-running services of the deployment (`compose config --services`: those without a profile). */
  async services(): Promise<string[]> {
    return (await this.project.compose(['config', '--services'])).stdout.trim().split('\n').filter(Boolean).sort();
  }

  /** `compose ps --all`: every container of the project, with its state and health. */
  async states(): Promise<ServiceState[]> {
    const { stdout } = await this.project.compose(['ps', '--all', '--format', '{{.Service}} {{.State}} {{.Health}}']);
    return stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [service = '', state = '', health = ''] = line.split(' ');
        return { service, state, health };
      })
      .sort((a, b) => a.service.localeCompare(b.service));
  }

  /** The services that are not `running healthy` (empty when all are), from `compose ps`. */
  async unhealthy(): Promise<string[]> {
    const states = await this.states();
    const wanted = await this.services();
    const problems = states.filter((s) => s.state !== 'running' || s.health !== 'healthy').map((s) => `${s.service} ${s.state} ${s.health || '(no health)'}`);
    for (const service of wanted) if (!states.some((s) => s.service === service)) problems.push(`${service} has no container`);
    return problems;
  }

  /**
   * Waits until every service is running and healthy, then reads NGINX's URL again.
   * @returns the seconds it took.
   * @throws Error naming the services still unhealthy after `timeoutMs`.
   */
  async waitHealthy(timeoutMs = 300_000): Promise<number> {
    const start = Date.now();
    let problems: string[] = [];
    while (Date.now() - start < timeoutMs) {
      problems = await this.unhealthy().catch((error: Error) => [error.message]);
      if (problems.length === 0) {
        await this.refreshUrl();
        return Math.round((Date.now() - start) / 1000);
      }
      await sleep(2000);
    }
    throw new Error(`services not healthy ${Math.round(timeoutMs / 1000)} s after the fault: ${problems.join(', ')}`);
  }

  /** The id of the service's container. */
  async container(service: string): Promise<string> {
    const id = (await this.project.compose(['ps', '--all', '-q', service])).stdout.trim();
    if (!id) throw new Error(`no container of ${service} in ${this.project.name}`);
    return id;
  }

  /** `docker kill --signal KILL` of the service's container. */
  async kill(service: string): Promise<void> {
    await docker(['kill', '--signal', 'KILL', await this.container(service)]);
  }

  /** The container's state (`running`, `restarting`, `exited`...). */
  async stateOf(service: string): Promise<string> {
    return (await docker(['inspect', '--format', '{{.State.Status}}', await this.container(service)])).stdout.trim();
  }

  /**
   * After a kill: waits up to `withinMs` for Docker's restart policy to bring the container back;
   * when it does not, starts it as an operator would (`compose start`).
   * @returns who brought it back: `restart policy` or `compose start`.
   */
  async backAfterKill(service: string, withinMs = 15_000): Promise<'restart policy' | 'compose start'> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if ((await this.stateOf(service)) === 'running') return 'restart policy';
      await sleep(1000);
    }
    await this.compose(['start', service]);
    return 'compose start';
  }

  /** `docker compose ARGS` on the project. */
  compose(args: string[], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string }> {
    return this.project.compose(args, timeoutMs);
  }

  /**
   * Log lines of `services` since `since` that mention any of `ids` (at most `perId` lines each,
   * the last ones), for the report of lost and stuck executions.
   */
  async linesMentioning(ids: readonly string[], services: readonly string[], since: Date, perId = 6): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return found;
    const { stdout } = await this.compose(['logs', '--no-color', '--since', since.toISOString(), ...services]).catch((error: Error) => ({ stdout: error.message }));
    // The suite's own polling is no explanation: access-log lines of GET requests are left out.
    for (const line of stdout.split('\n').filter((text) => !(text.includes('"method":"GET"') && text.includes('"msg":"request completed"')))) {
      for (const id of ids) if (line.includes(id)) found.get(id)!.push(line.length > 400 ? `${line.slice(0, 400)}...` : line);
    }
    for (const [id, lines] of found) found.set(id, lines.slice(-perId));
    return found;
  }
}

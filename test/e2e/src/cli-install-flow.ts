import { expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerBinary, dockerEnv, type ComposeProject } from './docker.js';
import { executionIdIn, PlzUser, runCommand } from './plz-cli.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What the researcher's checks need from the running deployment. */
export interface CliInstallContext {
  url: string;
  token: string;
  project: ComposeProject;
  /** The compose project's name: its networks are `<slug>-edge`, `<slug>-internal`. */
  slug: string;
}

/**
 * Issue 13 on a running deployment: in a clean container of the `node` image (Node.js and npm,
 * nothing else) on NGINX's network, `npm install -g http://nginx/downloads/plz.tgz`, `plz login`,
 * a real training run, its output, summary and history (for jq), and the bash completion; then
 * a REST API restarted during `plz run`, with nothing lost from the log the CLI printed.
 */
export function cliInstallFlow(context: () => CliInstallContext): void {
  it('installs plz from the deployment in a clean node container, logs in once, trains sklearn-digits, and gets output, summary, history for jq and bash completion', async () => {
    const { slug, token } = context();
    const work = mkdtempSync(path.join(tmpdir(), 'plz-e2e-researcher-'));
    cpSync(path.join(root, 'examples', 'sklearn-digits'), path.join(work, 'digits'), { recursive: true });
    const script = [
      'set -euo pipefail',
      'export NO_UPDATE_NOTIFIER=1 NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false',
      '(apt-get update -qq && apt-get install -y -qq --no-install-recommends jq) >/dev/null 2>&1',
      'npm install -g --loglevel=error http://nginx/downloads/plz.tgz',
      'echo "installed: $(plz --version)"',
      'printf "%s" "$RESEARCHER_TOKEN" | plz login http://nginx --token-stdin',
      'stat -c "config mode %a" "$HOME/.config/plz/plz.config.json"',
      'plz whoami',
      'cd /work/digits',
      'set +e; plz run --parameters parameters.json > /work/run.log 2>&1; echo "run exit $?"; set -e',
      'id=$(grep -o "execution [0-9a-f-]\\{36\\} queued" /work/run.log | head -1 | cut -d" " -f2)',
      'plz output "$id" -o out >/dev/null && ls out',
      'plz --json measures -s "$id" | jq -r "\\"best accuracy \\" + (.best_accuracy|tostring)"',
      'plz history | jq -r --arg id "$id" "to_entries[] | select(.key == \\$id) | \\"history summary \\" + (.value.measures.summary.best_accuracy|tostring)"',
      'source <(plz completion bash)',
      'fn=$(complete -p plz | sed -E "s/.* -F ([^ ]+) .*/\\1/")',
      'COMP_WORDS=(plz ru); COMP_CWORD=1; COMP_LINE="plz ru"; COMP_POINT=${#COMP_LINE}',
      '"$fn" plz ru plz',
      'echo "completion: ${COMPREPLY[*]}"',
    ].join('\n');
    try {
      const result = await runCommand(dockerBinary, ['run', '--rm', '--network', `${slug}-edge`, '-e', 'RESEARCHER_TOKEN', '-v', `${work}:/work`, 'node:24-bookworm-slim', 'bash', '-c', script], {
        env: dockerEnv({ RESEARCHER_TOKEN: token }),
        timeoutMs: 1_200_000,
      });
      const printed = `${result.stdout}\n${result.stderr}\n--- run.log\n${readFileSync(path.join(work, 'run.log'), 'utf8').slice(-3000)}`;
      if (result.status !== 0) throw new Error(`the researcher's container exited ${result.status}:\n${printed}`);
      expect(result.stdout).toMatch(/^installed: \d+\.\d+\.\d+$/m);
      expect(result.stdout).toContain('config mode 600');
      expect(result.stdout).toMatch(/admin/);
      expect(result.stdout).toContain('run exit 0');
      expect(result.stdout).toMatch(/^model\.pkl$/m);
      const best = Number(/^best accuracy ([\d.]+)$/m.exec(result.stdout)?.[1]);
      expect(best).toBeGreaterThan(0.9);
      expect(result.stdout).toContain(`history summary ${/^best accuracy ([\d.]+)$/m.exec(result.stdout)?.[1]}`);
      expect(result.stdout).toMatch(/^completion: run$/m);
      expect(readFileSync(path.join(work, 'run.log'), 'utf8')).toMatch(/epoch +20: training loss/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 1_500_000);

  it('loses no log line when the REST API restarts during plz run, and ends with the job exit status', async () => {
    const { project, url, token } = context();
    const user = new PlzUser(url, token);
    const lines = 60;
    const cwd = user.project({
      'plz.config.json': JSON.stringify({ project: 'restart-check', image: 'python:3.11-slim-bookworm', command: ['python', 'main.py'] }),
      'main.py': [
        'import sys, time',
        `for i in range(${lines}):`,
        '    print(f"line {i:03d}", flush=True)',
        '    time.sleep(0.5)',
        'sys.exit(3)',
      ].join('\n'),
    });
    try {
      const running = user.plz(cwd, ['run'], 600_000);
      // Restart the REST API once the job is printing.
      const started = Date.now();
      for (;;) {
        const listed = await user.plz(cwd, ['--json', 'list']);
        if (listed.status === 0 && /"state":\s*"running"/.test(listed.stdout)) break;
        if (Date.now() - started > 300_000) throw new Error(`the job never ran: ${listed.stdout}${listed.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      await new Promise((resolve) => setTimeout(resolve, 5000));
      await project.compose(['restart', 'restapi'], 300_000);
      const result = await running;
      expect(result.status).toBe(3);
      const id = executionIdIn(result.stdout);
      const printed = result.stdout.split('\n').filter((line) => /^line \d{3}$/.test(line));
      const stored = (await user.plz(cwd, ['logs', id])).stdout.split('\n').filter((line) => /^line \d{3}$/.test(line));
      expect(stored).toEqual(Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(3, '0')}`));
      expect(printed).toEqual(stored);
    } finally {
      user.dispose();
    }
  }, 900_000);
}

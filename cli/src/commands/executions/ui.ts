import { Command } from 'commander';
import { mlflowUiHome, mlflowUiPage, type ExecutionRecord, type LoginLink, type LoginLinkRequest } from '@plz/contracts';
import { z } from 'zod';
import { desktopOpener, openInBrowser } from '../../browser.js';
import { UsageError } from '../../errors.js';
import { checkExecutionId, lastExecution, openServerSession } from '../common.js';

/** MLflow's front page on the deployment (NGINX serves MLflow under /mlflow/, `--static-prefix`). */
export const mlflowHome = mlflowUiHome;

/**
 * The deployment path of an execution's page in MLflow's UI, in its model-training view
 * (mlflowUiPage): its run (`/mlflow/#/experiments/<experiment>/runs/<run>?workflowType=machine_learning`,
 * MLflow's client-side routes), its experiment while it has no run yet, or MLflow's front page
 * while it has neither.
 */
export function mlflowPage(execution: Pick<ExecutionRecord, 'mlflow_experiment_id' | 'mlflow_run_id'>): string {
  const experiment = execution.mlflow_experiment_id;
  if (!experiment) return mlflowHome;
  return mlflowUiPage(experiment, execution.mlflow_run_id);
}

const Options = z.object({
  page: z.enum(['mlflow', 'home'], { error: 'expected --page mlflow or --page home' }).optional(),
  open: z.boolean().default(true),
});

/**
 * `plz ui [ID]`: a one-time link (single use, 60 s) that logs a browser in as you, to the MLflow
 * page of an execution (default: your last one) or to `--page mlflow|home`; printed, and opened
 * where a desktop is there.
 */
export function uiCommand(): Command {
  return new Command('ui')
    .description("open an execution's MLflow page (default: your last execution) in your browser, logged in as you")
    .argument('[id]', 'execution id (default: your last execution)')
    .option('--page <page>', 'a page instead of an execution: "mlflow" (MLflow\'s front page) or "home" (the deployment\'s)')
    .option('--no-open', 'only print the link')
    .action(async function (this: Command, id: string | undefined) {
      const options = Options.parse(this.opts());
      if (id !== undefined && options.page) throw new UsageError('give an execution id or --page, not both');
      const executionId = id === undefined ? undefined : checkExecutionId(id);
      const { api, printer } = openServerSession(this);

      let next: string;
      if (options.page) {
        next = options.page === 'home' ? '/' : mlflowHome;
      } else {
        const target = executionId ?? (await lastExecution(api)).id;
        if (!target) {
          printer.info("you have started no execution yet: the link goes to MLflow's front page");
          next = mlflowHome;
        } else {
          next = mlflowPage(await api.json<ExecutionRecord>('GET', `/api/v1/executions/${target}`));
          if (next === mlflowHome) printer.info(`execution ${target} has no MLflow run yet: the link goes to MLflow's front page`);
          else if (!next.includes('/runs/')) printer.info(`execution ${target} has no MLflow run yet: the link goes to its experiment`);
        }
      }

      const body: LoginLinkRequest = { next };
      const link = await api.json<LoginLink>('POST', '/api/v1/auth/login-links', { json: body });
      const url = `${api.baseUrl}${link.path}`;
      printer.result({ url, expires_at: link.expires_at }, `${url}\nThis link logs a browser in as you: it works once, within 60 s.`);

      const opener = options.open && !printer.json ? desktopOpener(process.platform, process.env) : undefined;
      if (opener) {
        const problem = await openInBrowser(opener, url);
        if (problem) printer.warn(`could not open a browser (${problem}): open the link above yourself`);
      }
    });
}

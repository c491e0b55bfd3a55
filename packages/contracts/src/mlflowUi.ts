/**
 * Paths of MLflow's UI on a deployment, for links that plz gives (the CLI's `plz ui`, the web view).
 *
 * NGINX serves MLflow's UI under `/mlflow/` (`mlflow server --static-prefix /mlflow`); its pages are
 * client-side routes after `#` (`#/experiments/<id>/runs/<run>`).
 */
export const mlflowUiHome = '/mlflow/';

/**
 * The query (inside the `#` route) that opens MLflow 3's UI in its model-training view ("Machine
 * learning": runs, metrics, charts) rather than its GenAI view (traces, evaluations). MLflow 3.17
 * chooses the view by a per-browser setting, not by the experiment: the `workflowType` query
 * parameter of the route when there is one (`genai` or `machine_learning`), else what the browser
 * stored last (localStorage `mlflow.workflowType_v1`), else `genai` (WorkflowTypeProvider,
 * mlflow/server/js/src/common/contexts/WorkflowTypeContext.tsx). MLflow keeps the parameter when it
 * moves between an experiment's tabs.
 */
export const mlflowModelTrainingView = 'workflowType=machine_learning';

/**
 * The deployment path of an experiment's page in MLflow's UI, or of one of its runs, in the
 * model-training view: `/mlflow/#/experiments/<experiment>[/runs/<run>]?workflowType=machine_learning`.
 * Ids are URI-encoded.
 */
export function mlflowUiPage(experimentId: string, runId?: string | null): string {
  const experiment = `${mlflowUiHome}#/experiments/${encodeURIComponent(experimentId)}`;
  const page = runId ? `${experiment}/runs/${encodeURIComponent(runId)}` : experiment;
  return `${page}?${mlflowModelTrainingView}`;
}

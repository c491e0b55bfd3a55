/**
 * Tags that MLflow itself gives a meaning to (its `mlflow.` namespace), as plz sets them.
 *
 * - `mlflow.note.content`: a run's (or experiment's) description, Markdown, shown and rendered on
 *   its page in MLflow's UI (`mlflow.utils.mlflow_tags.MLFLOW_RUN_NOTE`).
 * - `mlflow.experimentKind`: what an experiment is for; MLflow's UI reads it
 *   (`EXPERIMENT_KIND_TAG_KEY` in mlflow/server/js/src/experiment-tracking/utils/ExperimentKindUtils.ts).
 * - `mlflow.user`: the user a run belongs to.
 */
export const mlflowTags = {
  note: 'mlflow.note.content',
  experimentKind: 'mlflow.experimentKind',
  user: 'mlflow.user',
} as const;

/**
 * Values of `mlflow.experimentKind` (the `ExperimentKind` enum of MLflow's UI,
 * mlflow/server/js/src/experiment-tracking/constants.ts): `custom_model_development` is shown as
 * "Machine learning" (model training: runs, metrics, charts), `genai_development` as "GenAI apps &
 * agents" (traces, evaluations). plz's experiments are model training.
 */
export const experimentKinds = {
  modelTraining: 'custom_model_development',
  genai: 'genai_development',
} as const;

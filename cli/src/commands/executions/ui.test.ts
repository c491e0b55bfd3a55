import { describe, expect, it } from '@jest/globals';
import { mlflowPage } from './ui.js';

describe('mlflowPage', () => {
  it("goes to the execution's run, else its experiment (in MLflow's model-training view), else MLflow's front page", () => {
    expect(mlflowPage({ mlflow_experiment_id: '3', mlflow_run_id: '8a1f' })).toBe('/mlflow/#/experiments/3/runs/8a1f?workflowType=machine_learning');
    expect(mlflowPage({ mlflow_experiment_id: '3', mlflow_run_id: null })).toBe('/mlflow/#/experiments/3?workflowType=machine_learning');
    expect(mlflowPage({ mlflow_experiment_id: null, mlflow_run_id: null })).toBe('/mlflow/');
  });
});

import { describe, expect, it } from '@jest/globals';
import { mlflowUiPage } from './mlflowUi.js';

describe('mlflowUiPage', () => {
  it("is an experiment's or a run's route in MLflow's UI, in the model-training view", () => {
    expect(mlflowUiPage('3')).toBe('/mlflow/#/experiments/3?workflowType=machine_learning');
    expect(mlflowUiPage('3', null)).toBe('/mlflow/#/experiments/3?workflowType=machine_learning');
    expect(mlflowUiPage('3', '8a1f')).toBe('/mlflow/#/experiments/3/runs/8a1f?workflowType=machine_learning');
  });

  it('encodes the ids', () => {
    expect(mlflowUiPage('a/b', 'c?d')).toBe('/mlflow/#/experiments/a%2Fb/runs/c%3Fd?workflowType=machine_learning');
  });
});

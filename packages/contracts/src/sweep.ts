import { z } from 'zod';
import { ExecutionSpec } from './spec.js';
import { Parameters } from './spec.js';

/** Most executions one sweep may create (a grid's cartesian product counts every combination). */
export const maxSweepSize = 1000;

/**
 * Parameter sets of a sweep (Logistician's parameter sets, on one host): either an explicit list
 * of parameter objects, or a grid, an object whose values are non-empty arrays, expanded into its
 * cartesian product (`{"lr": [0.1, 0.01], "layers": [2, 3]}` gives four sets).
 */
export const SweepParameters = z.union([
  z.array(Parameters).min(1).max(maxSweepSize),
  z.record(z.string().min(1), z.array(z.unknown()).min(1).max(maxSweepSize)).refine((grid) => Object.keys(grid).length > 0, 'a grid needs at least one parameter'),
]);
export type SweepParameters = z.infer<typeof SweepParameters>;

/** Body of `POST /api/v1/sweeps`: an execution spec whose `parameters` is a list or a grid (sweeps do not `reuse`). */
export const SweepSpec = ExecutionSpec.omit({ parameters: true, reuse: true })
  .extend({ parameters: SweepParameters })
  .strict();
export type SweepSpec = z.infer<typeof SweepSpec>;

/**
 * Expands a sweep's parameters into the list of parameter sets, one per execution, in a stable
 * order (a grid varies its last key fastest).
 *
 * @throws Error when the sweep would have more than `maxSweepSize` executions.
 */
export function sweepParameterSets(parameters: SweepParameters): Parameters[] {
  if (Array.isArray(parameters)) return parameters;
  const keys = Object.keys(parameters);
  const size = keys.reduce((product, key) => product * parameters[key]!.length, 1);
  if (size > maxSweepSize) throw new Error(`the grid has ${size} combinations; a sweep is limited to ${maxSweepSize}`);
  let sets: Parameters[] = [{}];
  for (const key of keys) {
    sets = sets.flatMap((set) => parameters[key]!.map((value) => ({ ...set, [key]: value })));
  }
  return sets;
}

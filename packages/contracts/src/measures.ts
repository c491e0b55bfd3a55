/**
 * The step of a measure file (ARCHITECTURE.md §4, compatible with Plz): a file name ending in a
 * number (`epoch_7`, `epoch-7`, `step7`, optionally with `.json`) gives the step, and the name
 * without that number; other names have no step. Used by the worker (MLflow metric steps) and by
 * the web view (charts of a metric over its steps).
 */
export function stepOf(fileName: string): { name: string; step: number | undefined } {
  const bare = fileName.replace(/\.json$/i, '');
  const match = /^(.*?)[_.-]?(\d+)$/.exec(bare);
  if (!match) return { name: bare, step: undefined };
  const step = Number(match[2]);
  if (!Number.isSafeInteger(step)) return { name: bare, step: undefined };
  return { name: match[1]!, step };
}

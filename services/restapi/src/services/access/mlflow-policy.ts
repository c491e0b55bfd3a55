/**
 * What a request through NGINX's `/mlflow/` prefix needs (issue: roles through /mlflow/):
 * - `read`: any user. Every GET, HEAD and OPTIONS (MLflow routes each endpoint by method: its
 *   writes are POST, PATCH, PUT or DELETE, see `mlflow/server/handlers.py`), and the POST
 *   endpoints that only read (searches; the UI's GraphQL, whose schema in MLflow 3.17 has
 *   queries, two search mutations and an echo: `mlflow/server/graphql/`).
 * - `annotate`: any user. Setting and deleting run and experiment tags, which is how the UI keeps
 *   notes (`mlflow.note.content`).
 * - `admin`: everything else: deleting or restoring runs and experiments, logging metrics, params,
 *   inputs or artifacts, creating runs, experiments or models, artifact uploads and deletions.
 *   Unknown endpoints fall here, so an MLflow upgrade that adds a write cannot open it to users.
 */
export type MlflowPermission = 'read' | 'annotate' | 'admin';

/** POST endpoints (after `<api|ajax-api>/<2.0|3.0>/mlflow/`) that only read. */
const readingPosts = new Set([
  'experiments/search',
  'experiments/search-datasets',
  'runs/search',
  'logged-models/search',
  'traces/search',
  'datasets/search',
  'issues/search',
  'registered-models/get-latest-versions',
]);

/** POST endpoints any user may call to keep notes: tags of runs and experiments. */
const annotatingPosts = new Set(['runs/set-tag', 'runs/delete-tag', 'experiments/set-experiment-tag', 'experiments/delete-experiment-tag']);

const readingMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The path of a request URI as MLflow will route it: the query cut off, percent-escapes decoded,
 * repeated slashes merged; null when it cannot be decoded or climbs with `..` or `.` segments
 * (never produced by MLflow's clients, so refused rather than interpreted).
 */
export function mlflowRoutePath(uri: string): string | null {
  const raw = uri.split(/[?#]/, 1)[0] ?? '';
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  path = path.replace(/\/{2,}/g, '/');
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(path)) return null;
  return path;
}

/**
 * The permission a request needs, from its method and its URI as the client sent it (NGINX's
 * `$request_method` and `$request_uri`). URIs outside `/mlflow/` need `read` (any identity).
 */
export function mlflowPermission(method: string, uri: string): MlflowPermission {
  const verb = method.toUpperCase();
  const path = mlflowRoutePath(uri);
  if (path === null) return 'admin';
  if (!path.startsWith('/mlflow/') && path !== '/mlflow') return 'read';
  if (readingMethods.has(verb)) return 'read';
  if (verb !== 'POST') return 'admin';
  if (path === '/mlflow/graphql') return 'read';
  const endpoint = /^\/mlflow\/(?:ajax-)?api\/[23]\.0\/mlflow\/(.+?)\/?$/.exec(path)?.[1];
  if (endpoint === undefined) return 'admin';
  if (readingPosts.has(endpoint)) return 'read';
  if (annotatingPosts.has(endpoint)) return 'annotate';
  return 'admin';
}

/**
 * Where an artifact lives in MLflow's proxied artifact store (`mlflow server --artifacts-destination`):
 * either a path relative to the store's root (`"<experiment_id>/<run_id>/artifacts/out/model.pt"`),
 * or a run and a path relative to that run's artifact root.
 */
export type ArtifactLocation = string | RunArtifact;

export interface RunArtifact {
  experimentId: string;
  runId: string;
  /** Path under the run's artifact root (`""` or left out: the root itself, for listings). */
  path?: string;
}

const PROXY_SCHEME = 'mlflow-artifacts:';

/**
 * Path of a run's artifact root in the proxied store: `<experiment_id>/<run_id>/artifacts`, the
 * layout MLflow gives runs of an experiment created with the default artifact location when the
 * server proxies artifacts (the run's `artifact_uri` is `mlflow-artifacts:/` + this path).
 */
export const runArtifactRoot = (experimentId: string, runId: string): string => `${experimentId}/${runId}/artifacts`;

/**
 * Turns a run's `artifact_uri` (`mlflow-artifacts:/1/<run>/artifacts`, or with an authority part:
 * `mlflow-artifacts://host:port/1/<run>/artifacts`) into the store path the proxy endpoints take.
 *
 * @throws TypeError for a URI of another scheme (`s3://…`, `file://…`): such runs' artifacts are not
 *   served by MLflow's proxy.
 */
export function artifactPathFromUri(artifactUri: string, path = ''): string {
  if (!artifactUri.startsWith(PROXY_SCHEME)) {
    throw new TypeError(`artifact URI ${artifactUri} is not served through MLflow's artifact proxy (expected ${PROXY_SCHEME}/…)`);
  }
  let rest = artifactUri.slice(PROXY_SCHEME.length);
  if (rest.startsWith('//')) rest = rest.slice(rest.indexOf('/', 2) === -1 ? rest.length : rest.indexOf('/', 2));
  return joinArtifactPath(rest, path);
}

/**
 * The store path of `location`, checked: no empty, `.` or `..` segment (MLflow refuses paths that
 * leave their folder; mlflow/utils/uri.py `validate_path_is_safe`), no backslash.
 *
 * @throws TypeError naming the bad path.
 */
export function artifactPath(location: ArtifactLocation): string {
  return typeof location === 'string'
    ? joinArtifactPath(location)
    : joinArtifactPath(runArtifactRoot(location.experimentId, location.runId), location.path ?? '');
}

function joinArtifactPath(...parts: string[]): string {
  const joined = parts.filter((part) => part !== '').map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
  const segments = joined.split('/');
  if (joined === '' || segments.some((s) => s === '' || s === '.' || s === '..') || joined.includes('\\')) {
    throw new TypeError(`invalid artifact path "${parts.join('/')}": it needs non-empty segments without ".", ".." or "\\"`);
  }
  return joined;
}

/** The path percent-encoded segment by segment, `/` kept, as the upload and download routes take it. */
export const encodeArtifactPath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

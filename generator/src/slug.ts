/**
 * The slug of a deployment name: lower case, runs of anything but letters and digits turned into
 * one `-`, no `-` at either end. `My GPU Lab` → `my-gpu-lab`. It names the compose project, the
 * volumes (`<slug>-db-data`…), the networks (`<slug>-internal`…) and the systemd unit.
 */
export function slugify(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

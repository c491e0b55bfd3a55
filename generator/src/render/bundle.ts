import { plzSourceRoot } from '../paths.js';
import type { DeploymentContext } from './context.js';
import { imageSourceFiles } from './sources.js';
import { renderBundle, staticFiles, type RenderedFile, type StaticFile } from './templates.js';

/**
 * Every file of a deployment: the rendered templates, the verbatim files and, when the images are
 * built locally (no registry), the plz sources they are built from (see sources.ts).
 *
 * @param sourceRoot the plz checkout to copy image sources from (default: the one holding this generator).
 * @throws Error when images must be built but no plz checkout is at hand.
 */
export function bundleFiles(context: DeploymentContext, sourceRoot = plzSourceRoot()): Array<RenderedFile | StaticFile> {
  const files: Array<RenderedFile | StaticFile> = [...renderBundle(context), ...staticFiles(context.role)];
  if (context.images.build) {
    if (!sourceRoot) {
      throw new Error('no plz source checkout next to this generator to build the images from: give --image-registry (and --image-tag) to use published images');
    }
    files.push(...imageSourceFiles(sourceRoot));
  }
  return files;
}

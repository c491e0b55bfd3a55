/**
 * Parses the generator's `--gpus` answer into worker groups: `0,1,2,3` gives four one-GPU
 * workers, `0+1,2+3` two two-GPU workers, `none` (or empty) no GPU worker.
 * Device ids are NVIDIA indexes (`nvidia-smi -L`), each used at most once.
 *
 * @returns one array of device ids per GPU worker, in the order given.
 * @throws Error with a message fit for the prompt (unknown form, empty group, duplicate id).
 */
export function parseGpuGroups(answer: string): string[][] {
  const text = answer.trim();
  if (text === '' || text === 'none') return [];
  const groups = text.split(',').map((group) => group.split('+').map((id) => id.trim()));
  const seen = new Set<string>();
  for (const group of groups) {
    for (const id of group) {
      if (!/^\d+$/.test(id)) {
        throw new Error(`"${id || '(empty)'}" is not a GPU index: use indexes as nvidia-smi -L lists them, e.g. 0,1 or 0+1,2+3, or none`);
      }
      if (seen.has(id)) throw new Error(`GPU ${id} is given twice: each GPU belongs to one worker`);
      seen.add(id);
    }
  }
  return groups;
}

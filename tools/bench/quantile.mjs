// Shared by the benchmarks of this folder.

/**
 * The `q` quantile (0 to 1) of `values`, interpolated linearly between the two nearest ranks (what
 * numpy's default and most spreadsheets give); `values` is left as it is.
 */
export const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  return sorted[low] + (sorted[Math.ceil(position)] - sorted[low]) * (position - low);
};

/** Small statistics shared by the benchmarks. */

/**
 * Median of a sample (mean of the two middle values for an even count).
 * @param xs values, any order (not modified); NaN for an empty array.
 */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Small numeric helpers shared by the engine, the store and the UI. Pure TypeScript. */

/**
 * Rounds to `digits` decimals for reports and events (e.g. seconds to the millisecond: 3).
 * Halves round towards +∞, as `Math.round` does (`round(-0.0125, 3) === -0.012`).
 * @param digits decimals, an integer in [0, 15].
 * @throws RangeError for any other `digits`.
 */
export function round(value: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15)
    throw new RangeError(`round: digits must be an integer in [0, 15], got ${digits}`);
  const k = 10 ** digits;
  return Math.round(value * k) / k;
}

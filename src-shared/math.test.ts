import { describe, expect, it } from 'vitest';

import { round } from './math.ts';

describe('round (the one rounding helper, issue 17)', () => {
  it('rounds to the given decimals, halves towards +∞ like Math.round', () => {
    expect(round(1.23456, 3)).toBe(1.235);
    expect(round(-12.34, 1)).toBe(-12.3);
    expect(round(2.5, 0)).toBe(3);
    expect(round(-2.5, 0)).toBe(-2);
    expect(round(0.00004, 4)).toBe(0);
  });

  it('refuses digits that are not an integer in [0, 15]', () => {
    for (const d of [-1, 1.5, 16, NaN]) expect(() => round(1, d)).toThrow(RangeError);
  });
});

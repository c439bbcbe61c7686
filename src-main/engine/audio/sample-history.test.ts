/** SampleHistory: absolute indexing across wrap-around, and refusal of ranges no longer kept. */
import { describe, expect, it } from 'vitest';

import { SampleHistory } from './sample-history.ts';

const ramp = (from: number, n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => from + i);

describe('SampleHistory', () => {
  it('returns pushed samples by absolute index across the wrap-around', () => {
    const h = new SampleHistory(10);
    h.push(ramp(0, 7));
    h.push(ramp(7, 7)); // 0..13 pushed, 4..13 kept
    expect(h.end).toBe(14);
    expect(Array.from(h.slice(4, 14)!)).toEqual(Array.from(ramp(4, 10)));
    expect(Array.from(h.slice(9, 12)!)).toEqual([9, 10, 11]);
  });

  it('gives null for ranges that left the buffer or have not arrived', () => {
    const h = new SampleHistory(10);
    h.push(ramp(0, 25)); // longer than the capacity in one push
    expect(Array.from(h.slice(15, 25)!)).toEqual(Array.from(ramp(15, 10)));
    expect(h.slice(14, 16)).toBeNull();
    expect(h.slice(20, 26)).toBeNull();
  });

  it('rejects a bad capacity', () => {
    expect(() => new SampleHistory(0)).toThrow(/positive integer/);
  });
});

import { describe, expect, it } from 'vitest';

import { fillVadHoles } from './vad-holes.ts';

describe('fillVadHoles', () => {
  const turns = [
    { start: 1, end: 3, cluster: 0 },
    { start: 6, end: 8, cluster: 1 },
  ];

  it('gives uncovered VAD speech to the nearest turn within the gap, and leaves the rest', () => {
    const vad = [
      { start: 0.5, end: 3.5 }, // holes 0.5–1 and 3–3.5, touching turn 0
      { start: 4.6, end: 5.4 }, // 1.6 s after turn 0, 0.6 s before turn 1
      { start: 20, end: 22 }, // 12 s from any turn
    ];
    const out = fillVadHoles(turns, vad, { maxGapS: 1 });
    expect(out).toEqual([
      { start: 0.5, end: 1, cluster: 0 },
      { start: 1, end: 3, cluster: 0 },
      { start: 3, end: 3.5, cluster: 0 },
      { start: 4.6, end: 5.4, cluster: 1 },
      { start: 6, end: 8, cluster: 1 },
    ]);
  });

  it('adds nothing for VAD speech the turns already cover, or holes below minHoleS', () => {
    expect(fillVadHoles(turns, [{ start: 1.5, end: 2.5 }], { maxGapS: 5 })).toEqual(turns);
    expect(fillVadHoles(turns, [{ start: 3, end: 3.2 }], { maxGapS: 5 })).toEqual(turns);
    expect(fillVadHoles([], [{ start: 0, end: 9 }], { maxGapS: 5 })).toEqual([]);
  });

  it('refuses a negative gap', () => {
    expect(() => fillVadHoles(turns, [], { maxGapS: -1 })).toThrow(/gap must be ≥ 0 s, got -1/);
  });
});

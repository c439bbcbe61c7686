import { describe, it, expect } from 'vitest';

import type { SpeakerSegment } from '../../../src-shared/formats/rttm.ts';

import { jaccardErrorRate } from './jer.ts';

const seg = (speaker: string, start: number, end: number): SpeakerSegment => ({ start, end, speaker });

describe('jaccardErrorRate', () => {
  it('perfect hypothesis (relabelled) → JER 0', () => {
    const ref = [seg('A', 0, 10), seg('B', 8, 20)];
    const hyp = [seg('X', 0, 10), seg('Y', 8, 20)];
    const r = jaccardErrorRate(ref, hyp);
    expect(r.jer).toBeCloseTo(0, 12);
    expect(r.perSpeaker).toEqual({ A: 0, B: 0 });
  });

  it('ref A 0–10, B 10–20; hyp X 0–15, Y 15–20 → JER 5/12', () => {
    // J(A,X) = 10 / 15 = 2/3, J(A,Y) = 0, J(B,X) = 5 / 20 = 1/4, J(B,Y) = 5 / 10 = 1/2.
    // Best mapping: A→X, B→Y (2/3 + 1/2) vs A→Y, B→X (0 + 1/4).
    // JER_A = 1 − 2/3 = 1/3, JER_B = 1 − 1/2 = 1/2 → JER = (1/3 + 1/2) / 2 = 5/12 ≈ 0.4167.
    const r = jaccardErrorRate([seg('A', 0, 10), seg('B', 10, 20)], [seg('X', 0, 15), seg('Y', 15, 20)]);
    expect(r.perSpeaker.A).toBeCloseTo(1 / 3, 12);
    expect(r.perSpeaker.B).toBeCloseTo(1 / 2, 12);
    expect(r.jer).toBeCloseTo(5 / 12, 12);
  });

  it('unmapped reference speaker counts as JER 1', () => {
    // ref A 0–10, B 10–15; hyp X 0–20 only.
    // J(A,X) = 10 / 20 = 0.5, J(B,X) = 5 / 20 = 0.25 → X mapped to A; B unmapped.
    // JER_A = 0.5, JER_B = 1 → JER = 0.75.
    const r = jaccardErrorRate([seg('A', 0, 10), seg('B', 10, 15)], [seg('X', 0, 20)]);
    expect(r.perSpeaker).toEqual({ A: 0.5, B: 1 });
    expect(r.jer).toBeCloseTo(0.75, 12);
  });

  it('extra hypothesis speakers add nothing once the reference speakers are mapped', () => {
    // ref A 0–10; hyp X 0–8, Y 8–10. J(A,X) = 8/10, J(A,Y) = 2/10 → A→X, JER = 0.2.
    const r = jaccardErrorRate([seg('A', 0, 10)], [seg('X', 0, 8), seg('Y', 8, 10)]);
    expect(r.jer).toBeCloseTo(0.2, 12);
  });

  it('maximises the summed Jaccard index, not the co-occurrence duration', () => {
    // ref A 0–10, B 10–12; hyp X 0–30 (long), Y 0–5.
    // Co-occurrence: A–X 10, A–Y 5, B–X 2, B–Y 0 → a DER-style mapping would pick A→X, B→Y (10 s).
    // Jaccard: J(A,X) = 10/30, J(A,Y) = 5/10, J(B,X) = 2/30, J(B,Y) = 0.
    // A→X, B→Y: 1/3 + 0 = 0.333; A→Y, B→X: 1/2 + 1/15 = 0.567 → A→Y, B→X.
    // JER_A = 1/2, JER_B = 14/15 → JER = (1/2 + 14/15) / 2 = 43/60 (the other mapping gives 5/6).
    const r = jaccardErrorRate([seg('A', 0, 10), seg('B', 10, 12)], [seg('X', 0, 30), seg('Y', 0, 5)]);
    expect(r.perSpeaker.A).toBeCloseTo(1 / 2, 12);
    expect(r.perSpeaker.B).toBeCloseTo(14 / 15, 12);
    expect(r.jer).toBeCloseTo(43 / 60, 12);
  });

  it('merges same-speaker overlapping turns before computing speech time', () => {
    // ref A 0–6 + A 4–10 = A 0–10; hyp X 0–5 → J = 5/10 → JER 0.5.
    expect(jaccardErrorRate([seg('A', 0, 6), seg('A', 4, 10)], [seg('X', 0, 5)]).jer).toBeCloseTo(0.5, 12);
  });

  it('edge cases: empty hypothesis, empty reference', () => {
    expect(jaccardErrorRate([seg('A', 0, 1), seg('B', 1, 2)], []).perSpeaker).toEqual({ A: 1, B: 1 });
    expect(jaccardErrorRate([], [])).toEqual({ jer: 0, perSpeaker: {} });
    expect(jaccardErrorRate([], [seg('X', 0, 1)])).toEqual({ jer: 1, perSpeaker: {} });
  });
});

import { describe, it, expect } from 'vitest';

import type { SpeakerSegment } from '../../../src-shared/formats/rttm.ts';

import { diarizationErrorRate, maxWeightAssignment, mergeTurnsBySpeaker } from './der.ts';

const seg = (speaker: string, start: number, end: number): SpeakerSegment => ({ start, end, speaker });

/** Asserts every duration component (seconds) and the DER to 9 decimals. */
function expectDer(
  actual: ReturnType<typeof diarizationErrorRate>,
  expected: {
    missed: number;
    falseAlarm: number;
    confusion: number;
    total: number;
    correct: number;
    der: number;
  },
): void {
  for (const key of ['missed', 'falseAlarm', 'confusion', 'total', 'correct', 'der'] as const) {
    expect(actual[key], key).toBeCloseTo(expected[key], 9);
  }
}

describe('diarizationErrorRate', () => {
  it('perfect hypothesis → DER 0', () => {
    // ref = hyp = A 0–10, B 8–20 (2 s overlap). total = 10 + 12 = 22, all correct.
    const ref = [seg('A', 0, 10), seg('B', 8, 20)];
    const r = diarizationErrorRate(ref, ref);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 0, total: 22, correct: 22, der: 0 });
    expect(r.mapping).toEqual({ A: 'A', B: 'B' });
  });

  it('all missed → DER 100 %', () => {
    // ref A 0–10, B 12–15; empty hyp: missed = 10 + 3 = 13 = total → DER 13/13 = 1.
    const r = diarizationErrorRate([seg('A', 0, 10), seg('B', 12, 15)], []);
    expectDer(r, { missed: 13, falseAlarm: 0, confusion: 0, total: 13, correct: 0, der: 1 });
    expect(r.mapping).toEqual({});
  });

  it('pure false alarm: no reference speech → total 0, DER Infinity', () => {
    // ref empty; hyp X 0–5 → falseAlarm 5, total 0 → documented as Infinity.
    const r = diarizationErrorRate([], [seg('X', 0, 5)]);
    expectDer(r, { missed: 0, falseAlarm: 5, confusion: 0, total: 0, correct: 0, der: Infinity });
    // Nothing on either side → DER 0.
    expect(diarizationErrorRate([], []).der).toBe(0);
  });

  it('false alarm outside the reference speech', () => {
    // ref A 0–10; hyp X 0–10 (→A) + Y 20–25: FA = 5 (Nhyp 1 > Nref 0 on 20–25); DER 5/10 = 50 %.
    const r = diarizationErrorRate([seg('A', 0, 10)], [seg('X', 0, 10), seg('Y', 20, 25)]);
    expectDer(r, { missed: 0, falseAlarm: 5, confusion: 0, total: 10, correct: 10, der: 0.5 });
    expect(r.mapping).toEqual({ X: 'A' });
  });

  it('speaker-label permutation → DER 0 thanks to the optimal mapping', () => {
    // ref A 0–5, B 5–12, C 12–13; hyp uses other labels: B↔A swapped, C renamed Z.
    const ref = [seg('A', 0, 5), seg('B', 5, 12), seg('C', 12, 13)];
    const hyp = [seg('B', 0, 5), seg('A', 5, 12), seg('Z', 12, 13)];
    const r = diarizationErrorRate(ref, hyp);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 0, total: 13, correct: 13, der: 0 });
    expect(r.mapping).toEqual({ B: 'A', A: 'B', Z: 'C' });
  });

  it('confusion: ref A 0–10, B 10–20; hyp X 0–15, Y 15–20 → 25 %', () => {
    // Co-occurrence: X–A 10, X–B 5, Y–B 5. Best mapping X→A, Y→B (15 s) beats X→B (5 s).
    // 0–10: A vs X→A correct. 10–15: B vs X→A: confusion 5. 15–20: B vs Y→B correct.
    // total 20, confusion 5 → DER 5/20 = 0.25.
    const r = diarizationErrorRate([seg('A', 0, 10), seg('B', 10, 20)], [seg('X', 0, 15), seg('Y', 15, 20)]);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 5, total: 20, correct: 15, der: 0.25 });
    expect(r.mapping).toEqual({ X: 'A', Y: 'B' });
  });

  it('overlapping reference speech, single-speaker hypothesis', () => {
    // ref A 0–10, B 5–15 (overlap 5–10); hyp X 0–12.
    // Co-occurrence X–A = 10, X–B = 7 (5–12) → X→A.
    //  0–5 : Nref 1 (A), Nhyp 1, correct 1                → nothing
    //  5–10: Nref 2 (A,B), Nhyp 1, correct 1 (A)           → missed 5·(2−1) = 5, confusion 5·(1−1) = 0
    // 10–12: Nref 1 (B), Nhyp 1, correct 0                 → confusion 2
    // 12–15: Nref 1 (B), Nhyp 0                            → missed 3
    // total = 10 + 10 = 20; missed 8, confusion 2, FA 0 → DER 10/20 = 50 %. correct = 5 + 5 = 10.
    const ref = [seg('A', 0, 10), seg('B', 5, 15)];
    const hyp = [seg('X', 0, 12)];
    const r = diarizationErrorRate(ref, hyp);
    expectDer(r, { missed: 8, falseAlarm: 0, confusion: 2, total: 20, correct: 10, der: 0.5 });
    expect(r.mapping).toEqual({ X: 'A' });
  });

  it('skipOverlap removes reference overlap from scoring (and from the mapping)', () => {
    // Same as above, 5–10 not scored. Scored: 0–5 (A vs X), 10–12 (B vs X), 12–15 (B vs nothing).
    // Co-occurrence X–A 5, X–B 2 → X→A. confusion 2, missed 3, total 5 + 5 = 10 → DER 5/10 = 50 %.
    const r = diarizationErrorRate([seg('A', 0, 10), seg('B', 5, 15)], [seg('X', 0, 12)], {
      skipOverlap: true,
    });
    expectDer(r, { missed: 3, falseAlarm: 0, confusion: 2, total: 10, correct: 5, der: 0.5 });
  });

  it('overlap scored with a correct overlapping hypothesis but one wrong extra speaker', () => {
    // ref A 0–10; hyp X 0–10 and Z 2–4 (hyp overlap). 2–4: Nref 1, Nhyp 2 → FA 2. DER 2/10 = 20 %.
    const r = diarizationErrorRate([seg('A', 0, 10)], [seg('X', 0, 10), seg('Z', 2, 4)]);
    expectDer(r, { missed: 0, falseAlarm: 2, confusion: 0, total: 10, correct: 10, der: 0.2 });
    expect(r.mapping).toEqual({ X: 'A' });
  });

  it('more hypothesis than reference speakers (rectangular mapping)', () => {
    // ref A 0–10; hyp X 0–6, Y 6–10. Co-occurrence X–A 6, Y–A 4 → X→A, Y unmapped.
    // 6–10: Nref 1, Nhyp 1, correct 0 → confusion 4. DER 4/10 = 40 %.
    const r = diarizationErrorRate([seg('A', 0, 10)], [seg('X', 0, 6), seg('Y', 6, 10)]);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 4, total: 10, correct: 6, der: 0.4 });
    expect(r.mapping).toEqual({ X: 'A' });
  });

  it('more reference than hypothesis speakers (rectangular mapping)', () => {
    // ref A 0–4, B 4–10, C 10–11; hyp X 0–11. Co-occurrence X–A 4, X–B 6, X–C 1 → X→B.
    // confusion = 4 (A) + 1 (C) = 5; total 11 → DER 5/11.
    const r = diarizationErrorRate([seg('A', 0, 4), seg('B', 4, 10), seg('C', 10, 11)], [seg('X', 0, 11)]);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 5, total: 11, correct: 6, der: 5 / 11 });
    expect(r.mapping).toEqual({ X: 'B' });
  });

  it('collar 0.25 s fully forgives a hypothesis boundary off by 0.2 s', () => {
    // ref A 0–10, B 10–20; hyp X 0–10.2, Y 10.2–20.
    // No collar: 10–10.2 is B vs X→A → confusion 0.2, total 20 → DER 1 %.
    const ref = [seg('A', 0, 10), seg('B', 10, 20)];
    const hyp = [seg('X', 0, 10.2), seg('Y', 10.2, 20)];
    const noCollar = diarizationErrorRate(ref, hyp);
    expectDer(noCollar, { missed: 0, falseAlarm: 0, confusion: 0.2, total: 20, correct: 19.8, der: 0.01 });
    // Collar 0.25 s each side of reference boundaries 0, 10, 20 removes −0.25–0.25, 9.75–10.25,
    // 19.75–20.25 (10–10.2 included). Scored: 0.25–9.75 + 10.25–19.75 = 19 s, all correct → DER 0.
    const collar = diarizationErrorRate(ref, hyp, { collar: 0.25 });
    expectDer(collar, { missed: 0, falseAlarm: 0, confusion: 0, total: 19, correct: 19, der: 0 });
    // A 0.1 s collar removes −0.1–0.1, 9.9–10.1, 19.9–20.1: scored ref 0.1–9.9 + 10.1–19.9 = 19.6 s;
    // 10.1–10.2 (B vs X→A) stays → confusion 0.1, correct 19.5, DER 0.1/19.6.
    const small = diarizationErrorRate(ref, hyp, { collar: 0.1 });
    expectDer(small, {
      missed: 0,
      falseAlarm: 0,
      confusion: 0.1,
      total: 19.6,
      correct: 19.5,
      der: 0.1 / 19.6,
    });
  });

  it('collar also removes hypothesis false alarm near reference boundaries', () => {
    // ref A 1–5; hyp X 0.8–5.2: FA 0.2 + 0.2 without collar → DER 0.4/4 = 10 %.
    // Collar 0.25: no-score 0.75–1.25, 4.75–5.25 → FA forgiven, total 4 − 0.5 = 3.5, DER 0.
    const ref = [seg('A', 1, 5)];
    const hyp = [seg('X', 0.8, 5.2)];
    expect(diarizationErrorRate(ref, hyp).der).toBeCloseTo(0.1, 9);
    const r = diarizationErrorRate(ref, hyp, { collar: 0.25 });
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 0, total: 3.5, correct: 3.5, der: 0 });
  });

  it('uem restricts the scored region', () => {
    // ref A 0–10; hyp X 0–10, Y 12–14. Without UEM: FA 2 → 20 %. UEM 0–10: DER 0.
    // UEM 5–20: scored ref 5–10 (total 5), FA 12–14 = 2 → 40 %.
    const ref = [seg('A', 0, 10)];
    const hyp = [seg('X', 0, 10), seg('Y', 12, 14)];
    expect(diarizationErrorRate(ref, hyp).der).toBeCloseTo(0.2, 9);
    expect(diarizationErrorRate(ref, hyp, { uem: { start: 0, end: 10 } }).der).toBe(0);
    const r = diarizationErrorRate(ref, hyp, { uem: { start: 5, end: 20 } });
    expectDer(r, { missed: 0, falseAlarm: 2, confusion: 0, total: 5, correct: 5, der: 0.4 });
  });

  it('merges overlapping turns of the same speaker before scoring', () => {
    // ref A 0–6 and A 4–10 → A 0–10 (total 10, not 12); hyp X 0–3, X 2–10 → X 0–10. DER 0.
    const r = diarizationErrorRate([seg('A', 0, 6), seg('A', 4, 10)], [seg('X', 0, 3), seg('X', 2, 10)]);
    expectDer(r, { missed: 0, falseAlarm: 0, confusion: 0, total: 10, correct: 10, der: 0 });
  });

  it('rejects invalid options and turns', () => {
    expect(() => diarizationErrorRate([], [], { collar: -1 })).toThrow(RangeError);
    expect(() => diarizationErrorRate([], [], { uem: { start: 5, end: 1 } })).toThrow(RangeError);
    expect(() => diarizationErrorRate([seg('A', 3, 1)], [])).toThrow(RangeError);
    expect(() => diarizationErrorRate([], [seg('A', 0, NaN)])).toThrow(RangeError);
  });
});

describe('helpers', () => {
  it('mergeTurnsBySpeaker groups and merges per speaker, drops empty turns', () => {
    const m = mergeTurnsBySpeaker([
      seg('B', 5, 6),
      seg('A', 0, 2),
      seg('B', 6, 8),
      seg('A', 1, 3),
      seg('C', 4, 4),
    ]);
    expect([...m.keys()]).toEqual(['B', 'A']);
    expect(m.get('A')).toEqual([{ start: 0, end: 3 }]);
    expect(m.get('B')).toEqual([{ start: 5, end: 8 }]);
  });

  it('maxWeightAssignment maximises the total weight on square and rectangular matrices', () => {
    expect(maxWeightAssignment([])).toEqual([]);
    expect(maxWeightAssignment([[]])).toEqual([]);
    // Greedy would take 9 (0,0) then 1 → 10; optimum is 8 + 7 = 15.
    expect(
      maxWeightAssignment([
        [9, 8],
        [7, 1],
      ]),
    ).toEqual([
      [0, 1],
      [1, 0],
    ]);
    // 3 rows × 2 cols: best is row 2 → col 0 (5), row 0 → col 1 (4).
    expect(
      maxWeightAssignment([
        [1, 4],
        [2, 3],
        [5, 0],
      ]),
    ).toEqual([
      [0, 1],
      [2, 0],
    ]);
    // 1 row × 3 cols.
    expect(maxWeightAssignment([[1, 7, 3]])).toEqual([[0, 1]]);
  });
});

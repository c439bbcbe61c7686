import { describe, it, expect } from 'vitest';

import { vadMetrics, vadScores } from './vad-metrics.ts';

describe('vadMetrics', () => {
  it('precision / recall / F1 from exact interval arithmetic', () => {
    // ref speech 0–10, 20–30; hyp speech 2–12.
    // tp = |2–10| = 8; fp = |10–12| = 2; fn = |0–2| + |20–30| = 12.
    // P = 8/10 = 0.8, R = 8/20 = 0.4, F1 = 2·0.8·0.4 / 1.2 = 0.5333…
    const r = vadMetrics(
      [
        { start: 0, end: 10 },
        { start: 20, end: 30 },
      ],
      [{ start: 2, end: 12 }],
    );
    expect(r.tp).toBeCloseTo(8, 12);
    expect(r.fp).toBeCloseTo(2, 12);
    expect(r.fn).toBeCloseTo(12, 12);
    expect(r.precision).toBeCloseTo(0.8, 12);
    expect(r.recall).toBeCloseTo(0.4, 12);
    expect(r.f1).toBeCloseTo(0.64 / 1.2, 12);
  });

  it('merges overlapping intervals on each side first (overlapping turns count once)', () => {
    // ref 0–6 ∪ 4–10 = 0–10; hyp 0–5 ∪ 5–10 ∪ 9–12 = 0–12. tp 10, fp 2, fn 0.
    // P = 10/12, R = 1, F1 = 2·(5/6) / (11/6) = 10/11.
    const r = vadMetrics(
      [
        { start: 0, end: 6 },
        { start: 4, end: 10 },
      ],
      [
        { start: 9, end: 12 },
        { start: 0, end: 5 },
        { start: 5, end: 10 },
      ],
    );
    expect([r.tp, r.fp, r.fn]).toEqual([10, 2, 0]);
    expect(r.precision).toBeCloseTo(10 / 12, 12);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(10 / 11, 12);
  });

  it('collar forgives boundary errors around reference boundaries', () => {
    // ref 1–10; hyp 1.2–10.1. Without collar: tp 8.8, fp 0.1, fn 0.2.
    // Collar 0.25: no-score 0.75–1.25 and 9.75–10.25 → ref 1.25–9.75 = 8.5 s, all detected.
    const ref = [{ start: 1, end: 10 }];
    const hyp = [{ start: 1.2, end: 10.1 }];
    const raw = vadMetrics(ref, hyp);
    expect(raw.tp).toBeCloseTo(8.8, 12);
    expect(raw.fp).toBeCloseTo(0.1, 12);
    expect(raw.fn).toBeCloseTo(0.2, 12);
    const c = vadMetrics(ref, hyp, { collar: 0.25 });
    expect(c.tp).toBeCloseTo(8.5, 12);
    expect(c.fp).toBe(0);
    expect(c.fn).toBe(0);
    expect([c.precision, c.recall, c.f1]).toEqual([1, 1, 1]);
  });

  it('empty-side conventions', () => {
    // Nothing anywhere: perfect. Silent hypothesis: P = 1 (nothing claimed), R = 0, F1 = 0.
    expect(vadMetrics([], [])).toEqual({ precision: 1, recall: 1, f1: 1, tp: 0, fp: 0, fn: 0 });
    expect(vadMetrics([{ start: 0, end: 2 }], [])).toEqual({
      precision: 1,
      recall: 0,
      f1: 0,
      tp: 0,
      fp: 0,
      fn: 2,
    });
    expect(vadMetrics([], [{ start: 0, end: 2 }])).toEqual({
      precision: 0,
      recall: 1,
      f1: 0,
      tp: 0,
      fp: 2,
      fn: 0,
    });
    expect(vadScores(1, 1, 1).f1).toBeCloseTo(0.5, 12);
  });

  it('rejects invalid input', () => {
    expect(() => vadMetrics([], [], { collar: -0.1 })).toThrow(RangeError);
    expect(() => vadMetrics([{ start: 2, end: 1 }], [])).toThrow(RangeError);
  });
});

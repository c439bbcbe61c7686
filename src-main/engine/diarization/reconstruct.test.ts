import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../test-support.ts';
import { type ClusterTurn, type ClusteredWindow, reconstructTurns } from './reconstruct.ts';
import {
  SEG_FRAMES,
  SEG_FRAME_STEP,
  SEG_RECEPTIVE_FIELD,
  SEG_SPEAKERS,
  windowStarts,
} from './segmentation.ts';

const SR = 16_000;

/** Ground-truth speaker timeline: global speaker → [start, end) intervals, seconds. */
type Truth = [number, number][][];

/**
 * Windows as the segmentation + clustering would give them for `truth`: in each window the global
 * speakers are shuffled over the three local slots, and `clusters` maps each slot back.
 */
function windowsFromTruth(truth: Truth, nSamples: number, step: number, seed = 1): ClusteredWindow[] {
  const rnd = seededRandom(seed);
  return windowStarts(nSamples, step).map((startSample) => {
    const slots = [0, 1, 2].sort(() => rnd() - 0.5);
    const clusters = new Int32Array(SEG_SPEAKERS).fill(-1);
    const activity = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS);
    truth.forEach((turns, spk) => {
      const s = slots[spk];
      clusters[s] = spk;
      for (let i = 0; i < SEG_FRAMES; i++) {
        const t = (startSample + i * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD / 2) / SR;
        if (t < nSamples / SR && turns.some(([a, b]) => t >= a && t < b)) activity[i * SEG_SPEAKERS + s] = 1;
      }
    });
    return { startSample, activity, clusters };
  });
}

/** Invariants every reconstruction must satisfy. */
function expectValidTurns(turns: ClusterTurn[], numClusters: number, durationS: number): void {
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    expect(t.start).toBeGreaterThanOrEqual(0);
    expect(t.end).toBeLessThanOrEqual(durationS);
    expect(t.end).toBeGreaterThan(t.start);
    expect(t.cluster).toBeGreaterThanOrEqual(0);
    expect(t.cluster).toBeLessThan(numClusters);
    if (i > 0) expect(t.start).toBeGreaterThanOrEqual(turns[i - 1].start);
  }
  for (let c = 0; c < numClusters; c++) {
    const own = turns.filter((t) => t.cluster === c);
    for (let i = 1; i < own.length; i++)
      expect(own[i].start, `cluster ${c}`).toBeGreaterThanOrEqual(own[i - 1].end);
  }
}

const spanOf = (turns: ClusterTurn[], c: number): [number, number][] =>
  turns.filter((t) => t.cluster === c).map((t) => [t.start, t.end]);

describe('reconstructTurns', () => {
  const nSamples = 30 * SR;
  const truth: Truth = [
    [[1, 12]],
    [
      [10, 18],
      [20, 25],
    ],
    [[26, 29.5]],
  ];

  it('recovers a known 3-speaker timeline (including a 2-speaker overlap)', () => {
    const turns = reconstructTurns(windowsFromTruth(truth, nSamples, SR), 3, nSamples);
    expectValidTurns(turns, 3, 30);
    const tol = 0.03; // about one output frame (16.9 ms) plus rounding
    const expectSpans = (c: number, want: [number, number][]): void => {
      const got = spanOf(turns, c);
      expect(got, `cluster ${c}: ${JSON.stringify(got)}`).toHaveLength(want.length);
      got.forEach(([s, e], i) => {
        expect(Math.abs(s - want[i][0])).toBeLessThan(tol);
        expect(Math.abs(e - want[i][1])).toBeLessThan(tol);
      });
    };
    truth.forEach((want, c) => expectSpans(c, want));
  });

  it('random activity: sorted, no self-overlap, within [0, duration]', () => {
    const rnd = seededRandom(99);
    const n = 47.3 * SR;
    const windows = windowStarts(n, 8_000).map((startSample) => {
      const activity = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS);
      // bursts of 20-frame runs so turns are not all single frames
      for (let s = 0; s < SEG_SPEAKERS; s++) {
        for (let i = 0; i < SEG_FRAMES; i += 20) {
          const on = rnd() < 0.4 ? 1 : 0;
          for (let j = i; j < Math.min(i + 20, SEG_FRAMES); j++) activity[j * SEG_SPEAKERS + s] = on;
        }
      }
      const clusters = Int32Array.from({ length: SEG_SPEAKERS }, () => Math.floor(rnd() * 5) - 1);
      return { startSample, activity, clusters };
    });
    for (const opts of [
      { minDurationOn: 0, minDurationOff: 0 },
      { minDurationOn: 0.3, minDurationOff: 0.5 },
    ]) {
      const turns = reconstructTurns(windows, 4, n, opts);
      expect(turns.length).toBeGreaterThan(5);
      expectValidTurns(turns, 4, n / SR);
    }
  });

  it('clips turns to the channel length (short input, one zero-padded window)', () => {
    const n = 4 * SR;
    const activity = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS);
    for (let i = 0; i < SEG_FRAMES; i++) activity[i * SEG_SPEAKERS] = 1; // model says speech over all 10 s
    const turns = reconstructTurns([{ startSample: 0, activity, clusters: Int32Array.of(0, -1, -1) }], 1, n);
    expect(turns).toHaveLength(1);
    // a turn starts half a frame step before its first frame centre: (991 / 2 − 270 / 2) / 16 000 s
    expect(turns[0].start).toBeCloseTo((SEG_RECEPTIVE_FIELD - SEG_FRAME_STEP) / 2 / SR, 9);
    expect(turns[0].end).toBeCloseTo(4, 9);
  });

  it('local speakers without a cluster (−1) produce no turns', () => {
    const activity = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS).fill(1);
    const turns = reconstructTurns(
      [{ startSample: 0, activity, clusters: Int32Array.of(-1, 1, -1) }],
      2,
      10 * SR,
    );
    expect(new Set(turns.map((t) => t.cluster))).toEqual(new Set([1]));
  });

  it('minDurationOff fills short gaps, minDurationOn drops short turns', () => {
    const t: Truth = [
      [
        [1, 3],
        [3.2, 5],
        [7, 7.1],
      ],
    ];
    const windows = windowsFromTruth(t, 10 * SR, SR);
    expect(spanOf(reconstructTurns(windows, 1, 10 * SR), 0)).toHaveLength(3);
    const smoothed = spanOf(
      reconstructTurns(windows, 1, 10 * SR, { minDurationOn: 0.2, minDurationOff: 0.3 }),
      0,
    );
    expect(smoothed).toHaveLength(1);
    expect(smoothed[0][0]).toBeCloseTo(1, 1);
    expect(smoothed[0][1]).toBeCloseTo(5, 1);
  });

  it('no windows or no clusters → no turns', () => {
    expect(reconstructTurns([], 3, SR)).toEqual([]);
    expect(reconstructTurns(windowsFromTruth(truth, nSamples, SR), 0, nSamples)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../test-support.ts';
import {
  DEFAULT_HYSTERESIS,
  type HysteresisOptions,
  type Interval,
  postProcessRegions,
  speechRegionsFromProbs,
  totalDuration,
} from './regions.ts';

/** 1/8 s frames: frame times are exact in binary floating point. */
const HOP = 0.125;
/** No post-processing: only the hysteresis acts. */
const RAW: HysteresisOptions = { onset: 0.5, offset: 0.35, minSpeechS: 0, minSilenceS: 0, padS: 0 };

const expectRegions = (actual: Interval[], expected: [number, number][]): void => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((r, i) => {
    expect(r.start).toBeCloseTo(expected[i][0], 9);
    expect(r.end).toBeCloseTo(expected[i][1], 9);
  });
};

describe('speechRegionsFromProbs: hysteresis', () => {
  it('starts at p ≥ onset, continues while p ≥ offset, ends below offset', () => {
    const probs = [0.1, 0.2, 0.6, 0.45, 0.4, 0.35, 0.3, 0.1];
    // speech from frame 2 (0.6 ≥ 0.5) through frame 5 (0.35 is not < 0.35); ends at frame 6
    expectRegions(speechRegionsFromProbs(probs, HOP, 1, RAW), [[0.25, 0.75]]);
  });

  it('values between offset and onset never start speech', () => {
    expect(speechRegionsFromProbs([0.1, 0.45, 0.49, 0.4, 0.1], HOP, 1, RAW)).toEqual([]);
  });

  it('onset is inclusive, offset exclusive', () => {
    expectRegions(speechRegionsFromProbs([0.5, 0.35, 0.34], HOP, 1, RAW), [[0, 0.25]]);
  });

  it('speech running to the last frame ends at probs.length · hop', () => {
    expectRegions(speechRegionsFromProbs([0, 0, 0.9, 0.9], HOP, 10, RAW), [[0.25, 0.5]]);
  });

  it('defaults are Silero get_speech_timestamps values', () => {
    expect(DEFAULT_HYSTERESIS).toEqual({
      onset: 0.5,
      offset: 0.35,
      minSpeechS: 0.25,
      minSilenceS: 0.1,
      padS: 0.03,
    });
  });
});

describe('postProcessRegions', () => {
  const opts = { minSpeechS: 0, minSilenceS: 0, padS: 0 };

  it('drops regions shorter than minSpeechS', () => {
    const regions = [
      { start: 1, end: 1.2 },
      { start: 2, end: 2.3 },
      { start: 3, end: 3.25 },
    ];
    expectRegions(postProcessRegions(regions, 10, { ...opts, minSpeechS: 0.25 }), [
      [2, 2.3],
      [3, 3.25],
    ]);
  });

  it('bridges gaps shorter than minSilenceS, before the length filter', () => {
    const regions = [
      { start: 1, end: 1.2 },
      { start: 1.25, end: 1.45 }, // 0.05 s gap: bridged → 0.45 s, long enough
      { start: 2, end: 2.2 }, // 0.55 s gap: kept apart, 0.2 s: dropped
    ];
    expectRegions(postProcessRegions(regions, 10, { ...opts, minSilenceS: 0.1, minSpeechS: 0.25 }), [
      [1, 1.45],
    ]);
    // a gap of exactly minSilenceS is not bridged
    expectRegions(
      postProcessRegions(
        [
          { start: 1, end: 1.5 },
          { start: 1.75, end: 2 },
        ],
        10,
        { ...opts, minSilenceS: 0.25 },
      ),
      [
        [1, 1.5],
        [1.75, 2],
      ],
    );
  });

  it('pads both sides and merges regions that touch after padding', () => {
    const regions = [
      { start: 1, end: 2 },
      { start: 2.05, end: 3 }, // padded by 0.03: starts at 2.02, before the 2.03 end → merged
      { start: 5, end: 6 },
    ];
    expectRegions(postProcessRegions(regions, 10, { ...opts, padS: 0.03 }), [
      [0.97, 3.03],
      [4.97, 6.03],
    ]);
  });

  it('clips padded regions to [0, durationS]', () => {
    const regions = [
      { start: 0.01, end: 1 },
      { start: 9, end: 9.99 },
    ];
    expectRegions(postProcessRegions(regions, 10, { ...opts, padS: 0.1 }), [
      [0, 1.1],
      [8.9, 10],
    ]);
  });

  it('does not mutate its input', () => {
    const regions = [
      { start: 1, end: 2 },
      { start: 2.01, end: 3 },
    ];
    postProcessRegions(regions, 10, { ...opts, minSilenceS: 0.1 });
    expect(regions).toEqual([
      { start: 1, end: 2 },
      { start: 2.01, end: 3 },
    ]);
  });
});

describe('speechRegionsFromProbs with defaults', () => {
  it('clips the end-of-file region to durationS even when frames run past it', () => {
    // 32 ms frames; 10 frames = 0.32 s of probabilities for a 0.3 s file
    const regions = speechRegionsFromProbs(new Array<number>(10).fill(0.9), 0.032, 0.3);
    expectRegions(regions, [[0, 0.3]]);
  });

  it('random probabilities: regions sorted, disjoint, ≥ minSpeech, inside [0, duration]', () => {
    const rnd = seededRandom(42);
    let p = 0;
    const probs = Array.from({ length: 3000 }, () => (p = Math.min(1, Math.max(0, p + (rnd() - 0.5) * 0.4))));
    const duration = 3000 * 0.032 - 0.01;
    const regions = speechRegionsFromProbs(probs, 0.032, duration);
    expect(regions.length).toBeGreaterThan(3);
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i];
      expect(r.start).toBeGreaterThanOrEqual(0);
      expect(r.end).toBeLessThanOrEqual(duration);
      expect(r.end - r.start).toBeGreaterThanOrEqual(DEFAULT_HYSTERESIS.minSpeechS);
      if (i > 0) expect(r.start).toBeGreaterThan(regions[i - 1].end);
    }
    expect(totalDuration(regions)).toBeGreaterThan(0);
    expect(totalDuration(regions)).toBeLessThanOrEqual(duration);
  });
});

describe('totalDuration', () => {
  it('sums interval lengths', () => {
    expect(totalDuration([])).toBe(0);
    expect(
      totalDuration([
        { start: 0, end: 1.5 },
        { start: 2, end: 2.25 },
      ]),
    ).toBeCloseTo(1.75, 12);
  });
});

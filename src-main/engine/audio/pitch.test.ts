/**
 * YIN pitch tracker and per-speaker pitch statistics (pitch.ts): synthetic tones and harmonic
 * signals with known F0, unvoiced inputs, and real dev speech of a man and a woman.
 */
import { describe, expect, it } from 'vitest';

import { decodeDevMono } from '../../test-support.ts';
import {
  NEUTRAL_F0_ST,
  PITCH_STATS_DIM,
  PITCH_STATS_NAMES,
  pitchFrameCount,
  pitchStats,
  semitones,
  trackPitch,
} from './pitch.ts';

const SR = 16000;
const hz = (st: number): number => 100 * 2 ** (st / 12);

/** Sum of sine harmonics `harmonics` of f0 (amplitude 0.3 / h), `seconds` long. */
function harmonic(f0: number, harmonics: number[], seconds = 1): Float32Array {
  const x = new Float32Array(Math.round(seconds * SR));
  for (let i = 0; i < x.length; i++) {
    for (const h of harmonics) x[i] += (0.3 / h) * Math.sin((2 * Math.PI * f0 * h * i) / SR);
  }
  return x;
}

/** Deterministic white noise (LCG), amplitude 0.3. */
function noise(n: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 0.3 * (2 * (s / 2 ** 31) - 1);
  });
}

const devAudio = (rel: string): Promise<Float32Array> => decodeDevMono(rel);

describe('trackPitch', () => {
  it('frames every 10 ms once a ~42 ms span is available', () => {
    expect(pitchFrameCount(0)).toBe(0);
    expect(pitchFrameCount(666)).toBe(0);
    expect(pitchFrameCount(667)).toBe(1);
    expect(pitchFrameCount(SR)).toBe(96);
    expect(trackPitch(new Float32Array(SR)).f0.length).toBe(96);
  });

  it.each([80, 110, 220, 330, 450])('finds %d Hz in a harmonic signal within 1 %', (f0) => {
    const t = trackPitch(harmonic(f0, [1, 2, 3, 4, 5]));
    const voiced = Array.from(t.f0).filter((v) => v > 0);
    expect(voiced.length).toBe(t.f0.length);
    for (const v of voiced) expect(Math.abs(v - f0) / f0).toBeLessThan(0.01);
  });

  it('finds the period of a signal without its fundamental (telephone band)', () => {
    const s = pitchStats(harmonic(120, [3, 4, 5, 6, 7]));
    expect(hz(s[0])).toBeCloseTo(120, -1);
  });

  it('leaves white noise and silence unvoiced', () => {
    const n = trackPitch(noise(SR));
    const voicedNoise = Array.from(n.f0).filter((v) => v > 0).length;
    expect(voicedNoise / n.f0.length).toBeLessThan(0.05);
    const z = trackPitch(new Float32Array(SR));
    expect(Array.from(z.f0).every((v) => v === 0)).toBe(true);
    expect(Array.from(z.active).every((v) => v === 0)).toBe(true);
  });

  it('rejects non-finite samples with a clear error', () => {
    const x = harmonic(200, [1]);
    x[5000] = NaN;
    expect(() => trackPitch(x)).toThrow(/non-finite sample/);
  });
});

describe('pitchStats', () => {
  it('returns K statistics in the documented order', () => {
    const s = pitchStats(harmonic(200, [1, 2, 3], 2));
    expect(s.length).toBe(PITCH_STATS_DIM);
    expect(PITCH_STATS_NAMES[0]).toBe('f0_median_st');
    expect(s[0]).toBeCloseTo(semitones(200), 1);
    expect(s[1]).toBeLessThanOrEqual(s[0]);
    expect(s[2]).toBeGreaterThanOrEqual(s[0]);
    expect(s[3]).toBeCloseTo(1, 2);
    expect(s[4]).toBeLessThan(0.05);
  });

  it('falls back to the neutral F0 when too little is voiced', () => {
    const s = pitchStats(new Float32Array(2 * SR));
    expect(Array.from(s.slice(0, 3))).toEqual([NEUTRAL_F0_ST, NEUTRAL_F0_ST, NEUTRAL_F0_ST].map(Math.fround));
    expect(s[3]).toBe(0);
    expect(pitchStats(new Float32Array(0))[3]).toBe(0);
  });

  it('puts a man of the dev set well below a woman (real speech)', async () => {
    const man = pitchStats(await devAudio('voiceprint/librispeech_2609/2609-156975-0003.flac'));
    const woman = pitchStats(await devAudio('voiceprint/librispeech_1998/1998-15444-0003.flac'));
    expect(hz(man[0])).toBeGreaterThan(85);
    expect(hz(man[0])).toBeLessThan(150);
    expect(hz(woman[0])).toBeGreaterThan(165);
    expect(hz(woman[0])).toBeLessThan(260);
    expect(woman[0] - man[0]).toBeGreaterThan(5); // semitones
    for (const s of [man, woman]) {
      expect(s[3]).toBeGreaterThan(0.2);
      expect(s[3]).toBeLessThanOrEqual(1);
    }
  });
});

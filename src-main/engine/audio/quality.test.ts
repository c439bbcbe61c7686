import { describe, expect, it } from 'vitest';

import { seededRandom, sine } from '../../test-support.ts';
import type { Interval } from '../vad/regions.ts';
import { QUALITY_FRAME, QUALITY_THRESHOLDS, QualityAccumulator, dbfs } from './quality.ts';

const SR = 16_000;
const FRAME_S = QUALITY_FRAME / SR; // 32 ms

/** Feeds `x` in uneven blocks (as the decoder would) and returns the accumulator. */
function accumulate(x: Float32Array, channel: 'mono' | 'mic' | 'system' = 'mono'): QualityAccumulator {
  const q = new QualityAccumulator(channel);
  for (let off = 0, i = 0; off < x.length; i++) {
    const n = [16_000, 777, 5_000][i % 3];
    q.push(x.subarray(off, off + n));
    off += n;
  }
  return q;
}

const rnd = seededRandom(2024);
/** Uniform white noise with RMS `rms` (uniform in ±√3·rms). */
const noise = (n: number, rms: number): Float32Array =>
  Float32Array.from({ length: n }, () => (2 * rnd() - 1) * Math.sqrt(3) * rms);

/**
 * Alternating 1.024 s (32-frame) bursts and pauses over `seconds`: the bursts are a 300 Hz tone
 * of RMS `toneRms` added to white noise of RMS `noiseRms` everywhere. Returns the signal and the
 * burst intervals (the "VAD" speech).
 */
function bursts(seconds: number, toneRms: number, noiseRms: number): { x: Float32Array; speech: Interval[] } {
  const n = Math.round(seconds * SR);
  const x = noise(n, noiseRms);
  const tone = sine(300, toneRms * Math.SQRT2, seconds);
  const burst = 32 * QUALITY_FRAME;
  const speech: Interval[] = [];
  for (let s = burst; s + burst <= n; s += 2 * burst) {
    for (let i = s; i < s + burst; i++) x[i] += tone[i];
    speech.push({ start: s / SR, end: (s + burst) / SR });
  }
  return { x, speech };
}

describe('dbfs', () => {
  it('is 10·log10 of the mean square, floored at −120', () => {
    expect(dbfs(1)).toBe(0);
    expect(dbfs(0.01)).toBeCloseTo(-20, 12);
    expect(dbfs(0)).toBe(-120);
    expect(dbfs(1e-20)).toBe(-120);
  });
});

describe('QualityAccumulator', () => {
  it('sine of amplitude A → RMS level 20·log10(A/√2) within 0.1 dB', () => {
    for (const a of [0.5, 0.05, 0.9]) {
      const x = sine(1000, a, 5);
      const all: Interval[] = [{ start: 0, end: 5 }];
      const r = accumulate(x).finish(all, false);
      const theory = 20 * Math.log10(a / Math.SQRT2);
      expect(Math.abs(r.rmsDbfs - theory), `A = ${a}`).toBeLessThanOrEqual(0.1);
      expect(r.speechDbfs).not.toBeNull();
      expect(Math.abs(r.speechDbfs! - theory)).toBeLessThanOrEqual(0.1);
      expect(r.clippingRatio).toBe(0);
      expect(r.flags).not.toContain('clipping');
    }
  });

  it('flags clipping for a clipped sine', () => {
    const x = sine(440, 1.5, 3).map((v) => Math.max(-1, Math.min(1, v)));
    const r = accumulate(x).finish([{ start: 0, end: 3 }], false);
    // |1.5 sin θ| ≥ 0.999 for a fraction 1 − (2/π)·asin(0.999 / 1.5) ≈ 0.536 of a period
    const theory = 1 - (2 / Math.PI) * Math.asin(QUALITY_THRESHOLDS.clipLevel / 1.5);
    expect(Math.abs(r.clippingRatio - theory)).toBeLessThan(0.01);
    expect(r.flags).toContain('clipping');
  });

  it('tolerates a few isolated full-scale samples', () => {
    const x = sine(440, 0.3, 3);
    for (let i = 0; i < 20; i++) x[i * 2000] = 1; // 20 / 48 000 ≈ 0.04 % < 0.1 %
    expect(accumulate(x).finish([{ start: 0, end: 3 }], false).flags).not.toContain('clipping');
  });

  it('flags silence for digital zeros', () => {
    const r = accumulate(new Float32Array(3 * SR)).finish([], false);
    expect(r.rmsDbfs).toBe(-120);
    expect(r.speechDbfs).toBeNull();
    expect(r.snrDb).toBeNull();
    expect(r.speechRatio).toBe(0);
    expect(r.flags).toEqual(['silence']);
  });

  it('flags low_snr for bursts 3 dB above loud noise, and estimates that SNR', () => {
    // tone power = 2 × noise power: SNR = 10·log10(2) ≈ 3 dB (the estimator subtracts the noise)
    const { x, speech } = bursts(20, 0.1 * Math.SQRT2, 0.1);
    const r = accumulate(x).finish(speech, false);
    expect(r.snrDb).not.toBeNull();
    expect(Math.abs(r.snrDb! - 10 * Math.log10(2))).toBeLessThan(1);
    expect(r.snrDb!).toBeLessThan(QUALITY_THRESHOLDS.lowSnrDb);
    expect(r.flags).toContain('low_snr');
    expect(r.flags).not.toContain('silence');
  });

  it('no low_snr for the same bursts over quiet noise (≈ 30 dB SNR)', () => {
    const { x, speech } = bursts(20, 0.1, 0.1 / Math.sqrt(1000));
    const r = accumulate(x).finish(speech, false);
    expect(Math.abs(r.snrDb! - 30)).toBeLessThan(1);
    expect(r.flags).toEqual([]);
    // half of the time is speech
    expect(r.speechRatio).toBeGreaterThan(0.45);
    expect(r.speechRatio).toBeLessThan(0.55);
  });

  it('flags low_volume for quiet speech (−45 dBFS) and narrowband when asked', () => {
    const rms = 10 ** (-45 / 20);
    const { x, speech } = bursts(10, rms, rms / 100);
    const r = accumulate(x).finish(speech, true);
    expect(r.speechDbfs!).toBeLessThan(QUALITY_THRESHOLDS.lowVolumeDbfs);
    expect(r.flags).toContain('low_volume');
    expect(r.flags).toContain('narrowband');
    expect(r.flags).not.toContain('silence');
  });

  it('exposes per-frame power for self-VAD (0 beyond the end)', () => {
    const q = accumulate(sine(1000, 0.5, 1));
    expect(q.framePowerAt(0)).toBeCloseTo(0.125, 3);
    expect(q.framePowerAt(Math.floor(1 / FRAME_S) + 5)).toBe(0);
  });

  it('keeps the channel role', () => {
    expect(accumulate(sine(1000, 0.5, 1), 'mic').finish([], false).channel).toBe('mic');
  });
});

import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { FBANK_CONFIG, FbankStream, applyCmn, computeFbank } from './fbank.ts';
import { concatFloat32 } from './samples.ts';

/** One case of `__fixtures__/kaldi_fbank_ref.json` (training/make_fbank_fixture.py). */
interface FbankCase {
  name: string;
  sample_rate: number;
  num_samples: number;
  num_frames: number;
  num_bins: number;
  samples: number[];
  /** torchaudio.compliance.kaldi.fbank output, [num_frames][num_bins], natural log. */
  fbank: number[][];
}

interface FbankFixture {
  input_scale: number;
  cmn: boolean;
  options: Record<string, number | string | boolean>;
  cases: FbankCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/kaldi_fbank_ref.json', import.meta.url), 'utf8'),
) as FbankFixture;

const BINS = FBANK_CONFIG.numMelBins;

/** Largest |a − b| over two equally long arrays. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('computeFbank vs torchaudio.compliance.kaldi.fbank', () => {
  it('the fixture was made with the engine configuration', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(2);
    expect(fixture.cmn).toBe(false);
    expect(fixture.input_scale).toBe(FBANK_CONFIG.inputScale);
    expect(fixture.options).toMatchObject({
      num_mel_bins: FBANK_CONFIG.numMelBins,
      frame_length: (1000 * FBANK_CONFIG.frameLength) / FBANK_CONFIG.sampleRate,
      frame_shift: (1000 * FBANK_CONFIG.frameShift) / FBANK_CONFIG.sampleRate,
      low_freq: FBANK_CONFIG.lowFreq,
      preemphasis_coefficient: FBANK_CONFIG.preemphasis,
      window_type: FBANK_CONFIG.windowType,
      dither: 0,
      snip_edges: true,
    });
  });

  for (const c of fixture.cases) {
    it(`${c.name}: same frame count, max |Δ log-mel| ≤ 1e-3`, () => {
      expect(c.sample_rate).toBe(FBANK_CONFIG.sampleRate);
      expect(c.samples).toHaveLength(c.num_samples);
      const out = computeFbank(Float32Array.from(c.samples));
      expect(c.num_bins).toBe(BINS);
      expect(out.length / BINS).toBe(c.num_frames);
      const ref = Float32Array.from(c.fbank.flat());
      expect(ref.length).toBe(out.length);
      // measured ≈ 6e-5 (float32 FFT vs torch); 1e-3 leaves room for platform differences
      expect(maxAbsDiff(out, ref)).toBeLessThanOrEqual(1e-3);
    });
  }

  it('frame count is 1 + ⌊(n − 400) / 160⌋, 0 below one window', () => {
    for (const n of [0, 1, 399]) expect(computeFbank(new Float32Array(n)).length).toBe(0);
    for (const n of [400, 559, 560, 16_000]) {
      expect(computeFbank(new Float32Array(n)).length / BINS).toBe(1 + Math.floor((n - 400) / 160));
    }
  });
});

describe('FbankStream', () => {
  it('odd-sized chunks give exactly the frames of one-shot computeFbank', () => {
    const samples = Float32Array.from(fixture.cases[0].samples);
    const oneShot = computeFbank(samples);
    const stream = new FbankStream();
    const parts: Float32Array[] = [];
    const sizes = [1, 7, 399, 1, 401, 160, 159, 1234, 3, 977];
    let off = 0;
    for (let i = 0; off < samples.length; i++) {
      const size = sizes[i % sizes.length];
      parts.push(stream.push(samples.subarray(off, off + size)));
      off += size;
    }
    const streamed = concatFloat32(parts);
    expect(stream.nextFrame).toBe(oneShot.length / BINS);
    expect(streamed.length).toBe(oneShot.length);
    expect(maxAbsDiff(streamed, oneShot)).toBe(0);
  });

  it('returns no frame until a whole 400-sample window is there', () => {
    const stream = new FbankStream();
    expect(stream.push(new Float32Array(399)).length).toBe(0);
    expect(stream.push(new Float32Array(1)).length).toBe(BINS);
    expect(stream.push(new Float32Array(159)).length).toBe(0);
    expect(stream.push(new Float32Array(1)).length).toBe(BINS);
    expect(stream.nextFrame).toBe(2);
  });
});

describe('applyCmn', () => {
  it('yields zero column means, in place', () => {
    const feats = computeFbank(Float32Array.from(fixture.cases[0].samples));
    const before = feats.slice();
    const n = feats.length / BINS;
    const out = applyCmn(feats);
    expect(out).toBe(feats);
    let changed = 0;
    for (let d = 0; d < BINS; d++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += feats[i * BINS + d];
      mean /= n;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      changed += Math.abs(feats[d] - before[d]);
    }
    // the raw log-mel energies are far from zero-mean, so CMN must have moved them
    expect(changed).toBeGreaterThan(1);
    // differences between frames are unchanged
    expect(feats[BINS] - feats[0]).toBeCloseTo(before[BINS] - before[0], 4);
  });

  it('leaves an empty matrix alone; a single frame becomes all zeros', () => {
    expect(applyCmn(new Float32Array(0)).length).toBe(0);
    const one = Float32Array.from({ length: BINS }, (_, d) => d - 7.5);
    expect(applyCmn(one).every((v) => v === 0)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';

import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { devFile, useSharedModels } from '../../test-support.ts';
import {
  SEG_FRAMES,
  SEG_FRAME_STEP,
  SEG_RECEPTIVE_FIELD,
  SEG_SPEAKERS,
  SEG_WINDOW,
  Segmenter,
  frameCenterS,
  globalFrame,
  windowStarts,
} from './segmentation.ts';

describe('segmentation constants', () => {
  it('589 output frames of 270 samples per 10 s window (pyannote segmentation-3.0)', () => {
    expect(SEG_WINDOW).toBe(160_000);
    expect(SEG_FRAMES).toBe(589);
    expect((SEG_FRAMES - 1) * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD).toBeLessThanOrEqual(SEG_WINDOW);
    expect(SEG_FRAMES * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD).toBeGreaterThan(SEG_WINDOW);
  });
});

describe('windowStarts', () => {
  it('one window for inputs up to 10 s', () => {
    for (const n of [0, 1, 80_000, SEG_WINDOW]) expect(windowStarts(n, 16_000)).toEqual([0]);
  });

  it('slides by `step` and adds a last window aligned to the end', () => {
    expect(windowStarts(200_000, 16_000)).toEqual([0, 16_000, 32_000, 40_000]);
  });

  it('does not duplicate the last window when the step lands on the end', () => {
    expect(windowStarts(SEG_WINDOW + 3 * 16_000, 16_000)).toEqual([0, 16_000, 32_000, 48_000]);
  });

  it('covers every sample: sorted, gaps ≤ step, last window ends at the last sample', () => {
    for (const [n, step] of [
      [1_234_567, 16_000],
      [480_000, 8_000],
      [SEG_WINDOW + 1, 16_000],
    ]) {
      const s = windowStarts(n, step);
      expect(s[0]).toBe(0);
      expect(s[s.length - 1] + SEG_WINDOW).toBe(n);
      for (let i = 1; i < s.length; i++) {
        expect(s[i]).toBeGreaterThan(s[i - 1]);
        expect(s[i] - s[i - 1]).toBeLessThanOrEqual(step);
      }
    }
  });
});

describe('globalFrame / frameCenterS', () => {
  it('maps a window-local frame to the global output-frame grid', () => {
    expect(globalFrame(0, 0)).toBe(0);
    expect(globalFrame(0, 588)).toBe(588);
    expect(globalFrame(10 * SEG_FRAME_STEP, 3)).toBe(13);
    // 1 s = 59.26 frames: rounded to the nearest frame
    expect(globalFrame(16_000, 0)).toBe(59);
    expect(globalFrame(32_000, 0)).toBe(119);
  });

  it('frame centres are half a receptive field after the frame start', () => {
    expect(frameCenterS(0)).toBeCloseTo(SEG_RECEPTIVE_FIELD / 2 / 16_000, 12);
    expect(frameCenterS(100) - frameCenterS(99)).toBeCloseTo(SEG_FRAME_STEP / 16_000, 12);
    // the centre of a window's local frame i is close to the same global frame's centre
    const start = 16_000;
    const local = (start + 10 * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD / 2) / 16_000;
    expect(Math.abs(frameCenterS(globalFrame(start, 10)) - local)).toBeLessThanOrEqual(
      SEG_FRAME_STEP / 2 / 16_000,
    );
  });
});

describe('Segmenter (real model)', () => {
  it('powerset decoding: silence → nobody, speech → some activity, never 3 at once', async () => {
    useSharedModels();
    const segmenter = await Segmenter.create();
    const file = devFile('diarization/falcon_test.wav');
    const probe = await probeAudio(file);
    const speech = new Float32Array(SEG_WINDOW);
    let n = 0;
    for await (const [block] of decodeStream(file, probe, { channels: 'mono' })) {
      const take = Math.min(block.length, SEG_WINDOW - n);
      speech.set(block.subarray(0, take), n);
      n += take;
      if (n === SEG_WINDOW) break;
    }
    expect(n).toBe(SEG_WINDOW);
    const [silent, active] = await segmenter.segment([new Float32Array(SEG_WINDOW), speech]);
    expect(silent).toHaveLength(SEG_FRAMES * SEG_SPEAKERS);
    expect(silent.every((v) => v === 0)).toBe(true);
    let activeFrames = 0;
    for (let f = 0; f < SEG_FRAMES; f++) {
      let k = 0;
      for (let s = 0; s < SEG_SPEAKERS; s++) {
        const v = active[f * SEG_SPEAKERS + s];
        expect(v === 0 || v === 1).toBe(true);
        k += v;
      }
      expect(k).toBeLessThanOrEqual(2);
      if (k) activeFrames++;
    }
    // falcon_test: speech 1.7–3.9 s and 6.2–10 s of the first 10 s (≈ 60 %)
    expect(activeFrames / SEG_FRAMES).toBeGreaterThan(0.4);
    expect(activeFrames / SEG_FRAMES).toBeLessThan(0.85);
    await expect(segmenter.segment([new Float32Array(100)])).rejects.toThrow(/160000 samples/);
    expect(await segmenter.segment([])).toEqual([]);
  });
});

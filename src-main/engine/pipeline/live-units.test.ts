/** Streaming units of the live pipeline: hysteresis regions, adaptive self-VAD, online clustering. */
import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../test-support.ts';
import { type Interval, speechRegionsFromProbs } from '../vad/regions.ts';
import { OnlineClustering } from '../diarization/live-clustering.ts';
import { StreamingRegions, StreamingSelfVad } from '../vad/live-self-vad.ts';

describe('StreamingRegions', () => {
  it('gives the same regions as the offline hysteresis, each start before its end', () => {
    const rnd = seededRandom(7);
    // bursty probabilities: runs of speech and silence of random length
    const probs: number[] = [];
    while (probs.length < 3000) {
      const speech = rnd() < 0.5;
      const n = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < n; i++) probs.push(speech ? 0.4 + 0.6 * rnd() : 0.5 * rnd());
    }
    const starts: number[] = [];
    const regions: Interval[] = [];
    const s = new StreamingRegions(0.032, {
      onStart: (t) => starts.push(t),
      onEnd: (r) => {
        expect(starts.at(-1)).toBe(r.start);
        regions.push(r);
      },
    });
    for (const p of probs) s.push(p);
    s.finish();
    const offline = speechRegionsFromProbs(probs, 0.032, probs.length * 0.032 + 1);
    expect(regions.length).toBe(offline.length);
    regions.forEach((r, i) => {
      expect(r.start).toBeCloseTo(offline[i].start, 6);
      expect(r.end).toBeCloseTo(offline[i].end, 6);
    });
    expect(starts.length).toBe(regions.length);
  });
});

describe('StreamingSelfVad', () => {
  it('learns the bleed gain and then rejects bleed but keeps louder local speech', () => {
    const v = new StreamingSelfVad();
    const pow = (db: number): number => 10 ** (db / 10);
    expect(v.bleedDb).toBeNull();
    // remote party talks; its audio reaches the mic 12 dB lower (laptop speakers)
    for (let i = 0; i < 100; i++) v.push(0.9, 0.9, pow(-42), pow(-30));
    expect(v.bleedDb).toBeCloseTo(-12, 0);
    expect(v.push(0.9, 0.9, pow(-42), pow(-30))).toBe(0); // bleed only
    expect(v.push(0.9, 0.9, pow(-25), pow(-30))).toBe(0.9); // double talk: the user is louder
    expect(v.push(0.8, 0.1, pow(-40), pow(-70))).toBe(0.8); // system silent
  });
});

describe('OnlineClustering', () => {
  const unit = (...v: number[]): Float32Array => Float32Array.from(v);
  const opts = {
    deltaNew: 0.3,
    mergeDelta: 0.05,
    minNewFrames: 20,
    rhoUpdate: 40,
    maxSpeakers: 5,
    normalization: 'none' as const,
  };

  it('creates speakers, keeps local speakers of one window apart, and reuses centroids', () => {
    const c = new OnlineClustering(opts);
    const a = c.assign([{ embedding: unit(1, 0, 0), activeFrames: 100 }]);
    expect(a).toEqual({ global: [0], created: [0] });
    const b = c.assign([
      { embedding: unit(0.95, 0.05, 0), activeFrames: 100 },
      { embedding: unit(0, 1, 0), activeFrames: 100 },
      { embedding: null, activeFrames: 0 },
    ]);
    expect(b).toEqual({ global: [0, 1, -1], created: [1] });
    // too little speech for a new speaker: left unassigned
    expect(c.assign([{ embedding: unit(0, 0, 1), activeFrames: 5 }]).global).toEqual([-1]);
    // two similar local speakers in one window go to distinct speakers
    const d = c.assign([
      { embedding: unit(1, 0, 0), activeFrames: 100 },
      { embedding: unit(0.9, 0.1, 0), activeFrames: 100 },
    ]);
    expect(new Set(d.global).size).toBe(2);
  });

  it('merges late two speakers that drift together and never spoke in the same window', () => {
    const c = new OnlineClustering({ ...opts, deltaNew: 0.05, mergeDelta: 0.1 });
    c.assign([{ embedding: unit(1, 0.3, 0), activeFrames: 100 }]);
    c.assign([{ embedding: unit(1, -0.3, 0), activeFrames: 100 }]);
    expect(c.created).toBe(2);
    expect(c.mergeClose()).toEqual([]);
    for (let i = 0; i < 20; i++) {
      c.assign([{ embedding: unit(1, 0.1, 0), activeFrames: 100 }]);
      c.assign([{ embedding: unit(1, -0.1, 0), activeFrames: 100 }]);
    }
    // each kept its own evidence, but the centroids are now within mergeDelta
    const merges = c.mergeClose();
    expect(merges).toEqual([{ from: 1, into: 0 }]);
  });
});

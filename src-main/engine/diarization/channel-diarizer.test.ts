/**
 * ChannelDiarizer's window bookkeeping with segmentation requests in flight (real models, real
 * dev audio): every window of `windowStarts` is segmented exactly once, whatever the block sizes
 * and whether the segmenter runs in a worker thread or in the calling thread. Windows the VAD
 * calls silent are not sent to the segmentation model (issue 13), counted on generated silence.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  analyzeFile,
  DEFAULT_PARAMS,
  type EngineModels,
  loadEngineModels,
} from '../pipeline/analyze-file.ts';
import {
  createTmpDir,
  decodeDevMono,
  seededRandom,
  type TmpDir,
  useSharedModels,
  writeWav,
} from '../../test-support.ts';
import {
  ChannelDiarizer,
  clusterSnapshot,
  DEFAULT_CHANNEL_DIARIZER,
  vadSpeechGate,
} from './channel-diarizer.ts';
import { DEFAULT_RECONSTRUCT } from './reconstruct.ts';
import { SEG_FRAMES, SEG_SPEAKERS, windowStarts } from './segmentation.ts';

describe('ChannelDiarizer windows', () => {
  let worker: EngineModels;
  let inThread: EngineModels;
  let audio: Float32Array;
  beforeAll(async () => {
    useSharedModels();
    worker = await loadEngineModels({ ageGender: null });
    inThread = await loadEngineModels({ ageGender: null, segmentationThread: 'main' });
    audio = await decodeDevMono('diarization/pyannote_sample.wav');
  });

  it('segments each window of windowStarts once, for any block size, worker or not', async () => {
    const expected = windowStarts(audio.length, DEFAULT_CHANNEL_DIARIZER.stepSamples).length;
    expect(expected).toBeGreaterThan(15);
    const results = [];
    for (const [models, block] of [
      [worker, 4_000],
      [worker, 77_777],
      [inThread, 16_000],
    ] as const) {
      const d = new ChannelDiarizer(models.segmenter, models.embedder);
      for (let o = 0; o < audio.length; o += block) await d.push(audio.subarray(o, o + block));
      const res = await d.finish();
      expect(res.windows).toBe(expected);
      results.push(res);
    }
    // same windows, same embeddings, same turns
    expect(results[1].turns).toEqual(results[0].turns);
    expect(results[2].turns).toEqual(results[0].turns);
    expect(results[0].embeddings).toBe(results[2].embeddings);
  });
});

describe('skipping silent windows (VAD speech gate)', () => {
  let models: EngineModels;
  let tmp: TmpDir;
  let calls = 0;
  beforeAll(async () => {
    useSharedModels();
    models = await loadEngineModels({ ageGender: null });
    // count the windows that reach the segmentation model
    const seg = models.segmenter;
    const segment = seg.segment.bind(seg);
    seg.segment = (w: Float32Array[]) => {
      calls += w.length;
      return segment(w);
    };
    tmp = await createTmpDir('gate');
  });
  afterAll(() => tmp.cleanup());

  it('vadSpeechGate: silent only when every overlapping frame is below the threshold', () => {
    const probs = [0.01, 0.05, 0.6, 0.1];
    const gate = vadSpeechGate(probs, 512, 0.2);
    expect(gate(0, 1024)).toBe(false);
    expect(gate(0, 1200)).toBe(false); // partial frame 2 (< one hop) is ignored
    expect(gate(0, 1536)).toBe(true); // frame 2 is speech
    expect(gate(1536, 2048)).toBe(false);
    expect(gate(1536, 2560)).toBe(true); // frame 4 not computed yet: possible speech
    expect(() => vadSpeechGate(probs, 0)).toThrow(/hop/);
  });

  it('does not run the segmentation model on 3 min of generated room noise', async () => {
    const rand = seededRandom(13);
    const noise = Float32Array.from({ length: 180 * 16_000 }, () => 1e-3 * (rand() - 0.5));
    const file = await writeWav(join(tmp.path, 'silence.wav'), [noise], 16_000);
    calls = 0;
    const r = await analyzeFile(file, models);
    expect(r.turns).toHaveLength(0);
    expect(calls).toBe(0);
    calls = 0;
    await analyzeFile(file, models, {}, undefined, { ...DEFAULT_PARAMS, silentWindowMaxProb: null });
    expect(calls).toBeGreaterThan(170); // one window per second without the gate
  }, 600_000);

  it('speech followed by 60 s of silence: the silent windows are skipped, the turns are unchanged', async () => {
    const speech = await decodeDevMono('diarization/pyannote_sample.wav');
    const audio = new Float32Array(speech.length + 60 * 16_000);
    audio.set(speech);
    const file = await writeWav(join(tmp.path, 'speech-then-silence.wav'), [audio], 16_000);
    calls = 0;
    const gated = await analyzeFile(file, models);
    const gatedCalls = calls;
    calls = 0;
    const all = await analyzeFile(file, models, {}, undefined, {
      ...DEFAULT_PARAMS,
      silentWindowMaxProb: null,
    });
    expect(calls).toBeGreaterThan(80);
    expect(gatedCalls).toBeLessThan(calls - 40);
    expect(gated.turns).toEqual(all.turns);
  }, 600_000);
});

describe('clusterSnapshot one-speaker rule (system channel of calls)', () => {
  /** Three windows: speaker A alone, then A with a second local speaker B, then B alone. */
  function snapshot(angle: number) {
    const act = (locals: number[]): Uint8Array => {
      const a = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS);
      for (let f = 0; f < SEG_FRAMES; f++) for (const l of locals) a[f * SEG_SPEAKERS + l] = 1;
      return a;
    };
    const va = Float32Array.of(1, 0);
    const vb = Float32Array.of(Math.cos(angle), Math.sin(angle));
    return {
      total: 3 * 16_000 * 10,
      windows: [
        { startSample: 0, activity: act([0]), items: Int32Array.of(0, -1, -1) },
        { startSample: 160_000, activity: act([0, 1]), items: Int32Array.of(1, 2, -1) },
        { startSample: 320_000, activity: act([1]), items: Int32Array.of(-1, 3, -1) },
      ],
      items: [
        { window: 0, local: 0, vector: va, train: true },
        { window: 1, local: 0, vector: va, train: true },
        { window: 1, local: 1, vector: vb, train: true },
        { window: 2, local: 1, vector: vb, train: true },
      ],
    };
  }
  const opts = { threshold: 0.01, minClusterSize: 1, maxAhcItems: 100 };

  it('merges clusters closer than oneSpeakerBelow (cannot-link ignored), keeps distant ones', () => {
    // cos distance between A and B: 1 − cos(0.3) ≈ 0.045
    const split = clusterSnapshot(snapshot(0.3), 'none', opts, DEFAULT_RECONSTRUCT);
    expect(split.numClusters).toBe(2);
    const merged = clusterSnapshot(snapshot(0.3), 'none', opts, DEFAULT_RECONSTRUCT, null, 0.1);
    expect(merged.numClusters).toBe(1);
    expect(merged.turns.every((t) => t.cluster === 0)).toBe(true);
    // 1 − cos(1.2) ≈ 0.64: evidence for two speakers
    expect(clusterSnapshot(snapshot(1.2), 'none', opts, DEFAULT_RECONSTRUCT, null, 0.1).numClusters).toBe(2);
  });
});

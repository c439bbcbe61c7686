/**
 * ChannelDiarizer's window bookkeeping with segmentation requests in flight (real models, real
 * dev audio): every window of `windowStarts` is segmented exactly once, whatever the block sizes
 * and whether the segmenter runs in a worker thread or in the calling thread.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { type EngineModels, loadEngineModels } from '../pipeline/analyze-file.ts';
import { decodeDevMono, useSharedModels } from '../../test-support.ts';
import { ChannelDiarizer, DEFAULT_CHANNEL_DIARIZER } from './channel-diarizer.ts';
import { windowStarts } from './segmentation.ts';

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

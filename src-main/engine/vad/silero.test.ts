import { beforeAll, describe, expect, it } from 'vitest';

import { devFile, useSharedModels } from '../../test-support.ts';
import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { speechRegionsFromProbs } from './regions.ts';
import { SILERO_FRAME, SileroVad } from './silero.ts';

let model: OnnxModel;
let stereo: Float32Array[][];

beforeAll(async () => {
  useSharedModels();
  model = await OnnxModel.load('silero-vad-v6', { intraOpThreads: 1 });
  const file = devFile('stereo/ami_ES2004_1min_constructed_2ch.wav');
  stereo = [];
  for await (const b of decodeStream(file, await probeAudio(file), { channels: 'keep' })) {
    stereo.push(b);
    if (stereo.length >= 20) break; // 20 s
  }
});

describe('SileroVad (real model, real audio)', () => {
  it('batched channels give the same probabilities as separate streams', async () => {
    const both = new SileroVad(model, 2);
    const mic = new SileroVad(model);
    const sys = new SileroVad(model);
    const a: number[][] = [[], []];
    const b: number[][] = [[], []];
    for (const block of stereo) {
      const [pm, ps] = await both.pushAll(block);
      a[0].push(...pm);
      a[1].push(...ps);
      b[0].push(...(await mic.push(block[0])));
      b[1].push(...(await sys.push(block[1])));
    }
    expect(a[0].length).toBe(Math.floor((20 * 16000) / SILERO_FRAME));
    for (let c = 0; c < 2; c++) {
      const maxDiff = Math.max(...a[c].map((p, i) => Math.abs(p - b[c][i])));
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  it('finds speech in a real meeting excerpt and drops no samples', async () => {
    const vad = new SileroVad(model);
    const probs: number[] = [];
    let n = 0;
    for (const block of stereo) {
      n += block[1].length;
      probs.push(...(await vad.push(block[1])));
    }
    probs.push(...(await vad.flush()));
    expect(probs.length).toBe(Math.ceil(n / SILERO_FRAME));
    const regions = speechRegionsFromProbs(probs, vad.hopS, n / 16000);
    const speech = regions.reduce((s, r) => s + r.end - r.start, 0);
    expect(speech).toBeGreaterThan(5);
    expect(speech).toBeLessThan(20);
  });
});

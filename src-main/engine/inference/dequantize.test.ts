/**
 * The float-activation rewrite (dequantize.ts) on the real pyannote segmentation-3.0 int8 file
 * and real dev speech: no quantisation op is left, the outputs stay close to the int8 model's
 * (a wrong LSTM gate order or weight layout would not), the manifest's `dequantize` applies it
 * when the model is loaded by id, and a model without quantisation runs as before.
 */
import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { SEG_WINDOW } from '../diarization/segmentation.ts';
import { decodeDevMono, devFile, useSharedModels } from '../../test-support.ts';
import { dequantizeModel } from './dequantize.ts';
import { OnnxModel } from './onnx.ts';
import { resolveModel } from './registry.ts';

const SEG_ID = 'pyannote-segmentation-3.0-int8';

/** Op types of the top-level graph, by scanning the protobuf for their names. */
const hasOp = (bytes: Uint8Array, op: string): boolean =>
  Buffer.from(bytes).includes(Buffer.from(op, 'utf8'));

/** The 10 s window of a dev file that starts at `startS`, 16 kHz mono. */
async function speechWindow(rel: string, startS: number): Promise<Float32Array> {
  const need = Math.round(startS * 16_000) + SEG_WINDOW;
  return (await decodeDevMono(rel, need / 16_000)).slice(need - SEG_WINDOW, need);
}

/** Powerset argmax per frame of `y` [1, 589, 7]. */
const argmax = (y: Float32Array): number[] =>
  Array.from({ length: y.length / 7 }, (_, f) => {
    let b = 0;
    for (let c = 1; c < 7; c++) if (y[f * 7 + c] > y[f * 7 + b]) b = c;
    return b;
  });

describe('dequantizeModel (float activations)', () => {
  let int8Path: string;
  beforeAll(() => {
    useSharedModels();
    int8Path = resolveModel(SEG_ID).path!;
  });

  it('leaves no dynamic quantisation in the graph and keeps its input and output', async () => {
    const src = readFileSync(int8Path);
    expect(hasOp(src, 'DynamicQuantizeLinear')).toBe(true);
    const out = dequantizeModel(src);
    for (const op of ['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'DynamicQuantizeLSTM'])
      expect(hasOp(out, op), op).toBe(false);
    // int8 weights become float32: about 4× the bytes of the weights
    expect(out.length).toBeGreaterThan(3 * src.length);
    const m = await OnnxModel.loadPath(int8Path, { intraOpThreads: 1, dequantize: true });
    expect(m.inputNames).toEqual(['x']);
    expect(m.outputNames).toEqual(['y']);
  });

  it('gives nearly the int8 model’s decisions on real speech and finds the speech', async () => {
    const int8 = await OnnxModel.loadPath(int8Path, { intraOpThreads: 1 });
    const float = await OnnxModel.loadPath(int8Path, { intraOpThreads: 1, dequantize: true });
    const w = await speechWindow('diarization/pyannote_sample.wav', 8);
    const run = async (m: OnnxModel) => (await m.run({ x: { data: w, dims: [1, 1, SEG_WINDOW] } })).y.data;
    const a = await run(int8);
    const b = await run(float);
    const pa = argmax(a);
    const pb = argmax(b);
    const agree = pa.filter((c, i) => c === pb[i]).length / pa.length;
    expect(agree).toBeGreaterThan(0.8);
    expect(pb.filter((c) => c !== 0).length).toBeGreaterThan(200); // speech found in the window
    // the outputs are not identical: the rewrite changed the computation
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('OnnxModel.load applies the manifest’s `dequantize` (same outputs as an explicit rewrite)', async () => {
    expect(resolveModel(SEG_ID).entry.dequantize).toBe(true);
    const byId = await OnnxModel.load(SEG_ID, { intraOpThreads: 1 });
    const explicit = await OnnxModel.loadPath(int8Path, { intraOpThreads: 1, dequantize: true });
    const w = await speechWindow('diarization/falcon_test.wav', 2);
    const feed = { x: { data: w, dims: [1, 1, SEG_WINDOW] } };
    expect(Array.from((await byId.run(feed)).y.data)).toEqual(Array.from((await explicit.run(feed)).y.data));
  });

  it('a model without dynamic quantisation (Silero VAD) computes exactly as before', async () => {
    const path = resolveModel('silero-vad-v6').path!;
    const plain = await OnnxModel.loadPath(path, { intraOpThreads: 1 });
    const rewritten = await OnnxModel.loadPath(path, { intraOpThreads: 1, dequantize: true });
    const feed = {
      input: { data: Float32Array.from({ length: 576 }, (_, i) => 0.1 * Math.sin(i / 5)), dims: [1, 576] },
      state: { data: new Float32Array(2 * 128), dims: [2, 1, 128] },
      sr: { data: BigInt64Array.from([16000n]), dims: [] },
    };
    const a = await plain.run(feed);
    const b = await rewritten.run(feed);
    expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
  });

  it('a file that is not an ONNX model fails with an error naming it', async () => {
    await expect(
      OnnxModel.loadPath(devFile('diarization/falcon_test.rttm'), { dequantize: true }),
    ).rejects.toThrow(/falcon_test\.rttm/);
  });
});

/**
 * The float-activation rewrite (dequantize.ts) on the real pyannote segmentation-3.0 int8 file
 * and real dev speech: no quantisation op is left, the outputs stay close to the int8 model's
 * (a wrong LSTM gate order or weight layout would not), the manifest's `dequantize` applies it
 * when the model is loaded by id, and a model without quantisation runs as before. The SincNet
 * kernels of the rewrite are those of the exact time grid (issue 13), and the whole-window
 * dropouts the rounded grid caused on the therapie system channel are gone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';

import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { concatFloat32 } from '../audio/samples.ts';
import { SEG_WINDOW } from '../diarization/segmentation.ts';
import { decodeDevMono, devFile, useSharedModels } from '../../test-support.ts';
import { dequantizeModel, exactSincNetGrid } from './dequantize.ts';
import { OnnxModel } from './onnx.ts';
import { resolveModel } from './registry.ts';

const SEG_ID = 'pyannote-segmentation-3.0-int8';
/** The tensor holding the 80 SincNet kernels [80, 1, 251] in pyannote's export. */
const SINC_KERNELS = '/sincnet/conv1d.0/Concat_2_output_0';

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

  /** The SincNet band-pass kernels [80, 251] the graph computes, by exposing their tensor as an output. */
  async function sincKernels(exactSincGrid: boolean): Promise<Float32Array> {
    const type = protobuf
      .loadSync(fileURLToPath(new URL('../../../resources/onnx/onnx.proto', import.meta.url)))
      .lookupType('onnx.ModelProto');
    const model = type.decode(dequantizeModel(readFileSync(int8Path), { exactSincGrid })) as unknown as {
      graph: { output: unknown[] };
    };
    model.graph.output.push({ name: SINC_KERNELS, type: { tensorType: { elemType: 1 } } });
    const bytes = type.encode(type.fromObject(model)).finish();
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const out = await session.run({
      x: new ort.Tensor('float32', new Float32Array(SEG_WINDOW), [1, 1, SEG_WINDOW]),
    });
    const k = out[SINC_KERNELS];
    expect(k.dims).toEqual([80, 1, 251]);
    return k.data as Float32Array;
  }

  /**
   * The same kernels from the parametric formula (asteroid `ParamSincFB.make_filters`, min_low_hz =
   * min_band_hz = 50 Hz, 16 kHz): cos filters then sin filters, each
   * [left, centre, mirrored left] / (2·band), in float64.
   */
  function formulaKernels(): Float64Array {
    const type = protobuf
      .loadSync(fileURLToPath(new URL('../../../resources/onnx/onnx.proto', import.meta.url)))
      .lookupType('onnx.ModelProto');
    const m = type.decode(readFileSync(int8Path)) as unknown as {
      graph: { initializer: { name: string; rawData: Uint8Array }[] };
    };
    const f32 = (name: string): Float32Array => {
      const t = m.graph.initializer.find((i) => i.name === `sincnet.conv1d.0.filterbank.${name}`)!;
      return new Float32Array(new Uint8Array(t.rawData).buffer);
    };
    const lowHz = f32('low_hz_');
    const bandHz = f32('band_hz_');
    const win = f32('window_');
    const n = exactSincNetGrid(125, 16_000);
    const out = new Float64Array(80 * 251);
    for (let type2 = 0; type2 < 2; type2++)
      for (let i = 0; i < 40; i++) {
        const low = 50 + Math.abs(lowHz[i]);
        const high = Math.min(Math.max(low + 50 + Math.abs(bandHz[i]), 50), 8000);
        const band = high - low;
        const row = out.subarray((type2 * 40 + i) * 251, (type2 * 40 + i + 1) * 251);
        for (let k = 0; k < 125; k++) {
          const left =
            type2 === 0
              ? ((Math.sin(high * n[k]) - Math.sin(low * n[k])) / (n[k] / 2)) * win[k]
              : ((Math.cos(low * n[k]) - Math.cos(high * n[k])) / (n[k] / 2)) * win[k];
          row[k] = left / (2 * band);
          row[250 - k] = (type2 === 0 ? left : -left) / (2 * band);
        }
        row[125] = type2 === 0 ? 1 : 0;
      }
    return out;
  }

  const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  };

  it('computes the SincNet kernels of the exact time grid (the rounded grid is far off)', async () => {
    const formula = formulaKernels();
    expect(maxAbsDiff(await sincKernels(true), formula)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await sincKernels(false), formula)).toBeGreaterThan(1e-3);
  });

  it('exactSincNetGrid is 2π·arange(−half, 0)/sampleRate and rejects a bad half', () => {
    const g = exactSincNetGrid(125, 16_000);
    expect(g.length).toBe(125);
    expect(g[0]).toBeCloseTo((-2 * Math.PI * 125) / 16_000, 12);
    expect(g[124]).toBeCloseTo((-2 * Math.PI) / 16_000, 12);
    expect(() => exactSincNetGrid(0)).toThrow(/half = 0/);
  });

  it('leaves no 10-s window with speech empty on the muffled therapie system channel', async () => {
    const file = devFile('stereo/verbatim_therapie_djimic2_2ch.m4a');
    const parts: Float32Array[] = [];
    for await (const block of decodeStream(file, await probeAudio(file), { channels: 'keep' }))
      parts.push(block[1]);
    const system = concatFloat32(parts);
    const turns = readFileSync(file.replace(/\.m4a$/, '.rttm'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .map((f) => [Number(f[3]), Number(f[3]) + Number(f[4])]);
    const speechIn = (s: number, e: number): number =>
      turns.reduce((a, [ts, te]) => a + Math.max(0, Math.min(e, te) - Math.max(s, ts)), 0);
    const count = async (exactSincGrid: boolean): Promise<{ empty: number; checked: number }> => {
      const session = await ort.InferenceSession.create(
        dequantizeModel(readFileSync(int8Path), { exactSincGrid }),
        {
          intraOpNumThreads: 1,
        },
      );
      let empty = 0;
      let checked = 0;
      for (let start = 0; start + SEG_WINDOW <= system.length; start += 32_000) {
        const s = start / 16_000;
        if (speechIn(s, s + 10) < 3) continue; // windows with at least 3 s of reference speech
        checked++;
        const x = new ort.Tensor('float32', system.slice(start, start + SEG_WINDOW), [1, 1, SEG_WINDOW]);
        const y = (await session.run({ x })).y.data as Float32Array;
        if (argmax(y).every((c) => c === 0)) empty++;
      }
      return { empty, checked };
    };
    const exact = await count(true);
    expect(exact.checked).toBeGreaterThan(40);
    expect(exact.empty).toBe(0);
    // the rounded grid (before issue 13) empties many of the same windows
    expect((await count(false)).empty).toBeGreaterThan(5);
  }, 120_000);
});

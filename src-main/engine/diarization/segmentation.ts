/**
 * pyannote segmentation-3.0 on 10 s windows: powerset decoding to per-frame activity of up to
 * three local speakers.
 *
 * Model facts (pyannote/segmentation-3.0, sherpa-onnx export metadata): input `x` [N, 1, 160000]
 * raw 16 kHz, output `y` [N, 589, 7] powerset log-probabilities; frame i covers samples
 * [270 i, 270 i + 991). Powerset classes (pyannote `Powerset`, max 2 simultaneous of 3):
 * 0 = ∅, 1 = {A}, 2 = {B}, 3 = {C}, 4 = {A,B}, 5 = {A,C}, 6 = {B,C}.
 */
import { OnnxModel } from '../inference/onnx.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** Window length, samples (10 s). */
export const SEG_WINDOW = 160_000;
/** Frame hop of the model output, samples (16.875 ms). */
export const SEG_FRAME_STEP = 270;
/** Receptive field of one output frame, samples. */
export const SEG_RECEPTIVE_FIELD = 991;
/** Output frames per 10 s window. */
export const SEG_FRAMES = Math.floor((SEG_WINDOW - SEG_RECEPTIVE_FIELD) / SEG_FRAME_STEP) + 1; // 589
/** Local speakers per window. */
export const SEG_SPEAKERS = 3;

/** Powerset class → set of local speakers (bit mask A=1, B=2, C=4). */
const POWERSET_MASK = [0, 1, 2, 4, 3, 5, 6];

/** Per-window segmentation: binarised activity, [589, 3] row-major, values 0/1. */
export interface WindowSegmentation {
  /** First sample of the window in the channel. */
  startSample: number;
  activity: Uint8Array;
}

/**
 * Runs the segmentation model on 10 s windows (optionally batched). The model may be an in-thread
 * {@link OnnxModel} or an `OnnxWorkerModel` (inference/onnx-worker.ts; same results, run beside
 * the main thread).
 */
export class Segmenter {
  constructor(private readonly model: Pick<OnnxModel, 'run'>) {}

  /** Loads the manifest's segmentation model. */
  static async create(modelId = 'pyannote-segmentation-3.0-int8'): Promise<Segmenter> {
    return new Segmenter(await OnnxModel.load(modelId));
  }

  /**
   * Segments a batch of windows.
   * @param windows each exactly {@link SEG_WINDOW} samples, 16 kHz, [-1, 1].
   * @returns activity [589, 3] (0/1) per window, by powerset argmax (pyannote `Powerset.to_multilabel`).
   * @throws Error when a window has the wrong length.
   */
  async segment(windows: Float32Array[]): Promise<Uint8Array[]> {
    const n = windows.length;
    if (n === 0) return [];
    const x = new Float32Array(n * SEG_WINDOW);
    windows.forEach((w, i) => {
      if (w.length !== SEG_WINDOW)
        throw new Error(`segmentation window must be ${SEG_WINDOW} samples, got ${w.length}`);
      x.set(w, i * SEG_WINDOW);
    });
    const out = await this.model.run({ x: { data: x, dims: [n, 1, SEG_WINDOW] } });
    const y = out.y.data;
    const frames = out.y.dims[1];
    if (frames !== SEG_FRAMES)
      throw new Error(`segmentation model returned ${frames} frames, expected ${SEG_FRAMES}`);
    const result: Uint8Array[] = [];
    for (let w = 0; w < n; w++) {
      const act = new Uint8Array(SEG_FRAMES * SEG_SPEAKERS);
      for (let f = 0; f < SEG_FRAMES; f++) {
        const base = (w * SEG_FRAMES + f) * 7;
        let best = 0;
        for (let c = 1; c < 7; c++) if (y[base + c] > y[base + best]) best = c;
        const m = POWERSET_MASK[best];
        for (let s = 0; s < SEG_SPEAKERS; s++) act[f * SEG_SPEAKERS + s] = (m >> s) & 1;
      }
      result.push(act);
    }
    return result;
  }
}

/**
 * Start samples of the sliding windows over a channel of `nSamples` samples: every `step`
 * samples while the window fits, plus a last window aligned to the end (pyannote `Inference`
 * slides the same way and pads the last chunk); one zero-padded window for short inputs.
 */
export function windowStarts(nSamples: number, step: number): number[] {
  if (nSamples <= SEG_WINDOW) return [0];
  const starts: number[] = [];
  for (let s = 0; s + SEG_WINDOW <= nSamples; s += step) starts.push(s);
  const last = nSamples - SEG_WINDOW;
  if (starts[starts.length - 1] < last) starts.push(last);
  return starts;
}

/** Global output-frame index of local frame `i` of a window starting at `startSample`. */
export function globalFrame(startSample: number, i: number): number {
  return Math.round(startSample / SEG_FRAME_STEP) + i;
}

/** Centre time (seconds) of global output frame `f`. */
export function frameCenterS(f: number): number {
  return (f * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD / 2) / ENGINE_SAMPLE_RATE;
}

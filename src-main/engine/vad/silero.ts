/**
 * Streaming Silero VAD (v5/v6 ONNX). Per upstream (`snakers4/silero-vad`, `OnnxWrapper`), each
 * call sees 512 new samples at 16 kHz with the last 64 samples of the previous chunk in front
 * ([1, 576]) and the recurrent state [2, 1, 128] fed back.
 */
import { OnnxModel } from '../inference/onnx.ts';

/** Samples per Silero frame at 16 kHz (32 ms). */
export const SILERO_FRAME = 512;
const CONTEXT = 64;

/** Streaming speech-probability estimator for one channel. */
export class SileroVad {
  private state: Float32Array = new Float32Array(2 * 128);
  private context: Float32Array = new Float32Array(CONTEXT);
  private pending: Float32Array = new Float32Array(0);
  private readonly input = new Float32Array(CONTEXT + SILERO_FRAME);
  private readonly sr = new BigInt64Array([16000n]);

  constructor(private readonly model: OnnxModel) {}

  /** Loads the manifest's VAD model (default `silero-vad-v6`). */
  static async create(modelId = 'silero-vad-v6'): Promise<SileroVad> {
    return new SileroVad(await OnnxModel.load(modelId, { intraOpThreads: 1 }));
  }

  /** Frame hop in seconds (0.032). */
  get hopS(): number {
    return SILERO_FRAME / 16000;
  }

  /**
   * Feeds samples (any length, 16 kHz, [-1, 1]).
   * @returns one speech probability per completed 512-sample frame, in [0, 1].
   */
  async push(samples: Float32Array): Promise<Float32Array> {
    const buf = new Float32Array(this.pending.length + samples.length);
    buf.set(this.pending);
    buf.set(samples, this.pending.length);
    const nFrames = Math.floor(buf.length / SILERO_FRAME);
    const probs = new Float32Array(nFrames);
    for (let f = 0; f < nFrames; f++) {
      const frame = buf.subarray(f * SILERO_FRAME, (f + 1) * SILERO_FRAME);
      probs[f] = await this.step(frame);
    }
    this.pending = buf.slice(nFrames * SILERO_FRAME);
    return probs;
  }

  /** Flushes the last partial frame (zero-padded). @returns 0 or 1 probabilities. */
  async flush(): Promise<Float32Array> {
    if (this.pending.length === 0) return new Float32Array(0);
    const frame = new Float32Array(SILERO_FRAME);
    frame.set(this.pending);
    this.pending = new Float32Array(0);
    return Float32Array.of(await this.step(frame));
  }

  private async step(frame: Float32Array): Promise<number> {
    this.input.set(this.context, 0);
    this.input.set(frame, CONTEXT);
    const out = await this.model.run({
      input: { data: this.input, dims: [1, CONTEXT + SILERO_FRAME] },
      state: { data: this.state, dims: [2, 1, 128] },
      sr: { data: this.sr, dims: [] },
    });
    this.state = out.stateN.data;
    this.context = frame.slice(SILERO_FRAME - CONTEXT);
    return out.output.data[0];
  }

  /** Resets the recurrent state (new stream). */
  reset(): void {
    this.state = new Float32Array(2 * 128);
    this.context = new Float32Array(CONTEXT);
    this.pending = new Float32Array(0);
  }
}

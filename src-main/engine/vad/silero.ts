/**
 * Streaming Silero VAD (v5/v6 ONNX). Per upstream (`snakers4/silero-vad`, `OnnxWrapper`), each
 * call sees 512 new samples at 16 kHz with the last 64 samples of the previous chunk in front
 * ([B, 576]) and the recurrent state [2, B, 128] fed back. Several channels run as one batch
 * (B = channels), which halves the per-call overhead for two-channel calls.
 */
import { OnnxModel } from '../inference/onnx.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** Samples per Silero frame at 16 kHz (32 ms). */
export const SILERO_FRAME = 512;
const CONTEXT = 64;
const STATE = 128;

/** Streaming speech-probability estimator for one or more synchronised channels. */
export class SileroVad {
  private state: Float32Array;
  private readonly context: Float32Array[];
  private pending: Float32Array[];
  private readonly input: Float32Array;
  private readonly sr = new BigInt64Array([BigInt(ENGINE_SAMPLE_RATE)]);

  /**
   * @param model a Silero VAD model (see models/manifest.json).
   * @param channels number of channels processed together (batch size), ≥ 1.
   */
  constructor(
    private readonly model: OnnxModel,
    readonly channels = 1,
  ) {
    this.state = new Float32Array(2 * channels * STATE);
    this.context = Array.from({ length: channels }, () => new Float32Array(CONTEXT));
    this.pending = Array.from({ length: channels }, () => new Float32Array(0));
    this.input = new Float32Array(channels * (CONTEXT + SILERO_FRAME));
  }

  /** Loads the manifest's VAD model (default `silero-vad-v6`). */
  static async create(modelId = 'silero-vad-v6', channels = 1): Promise<SileroVad> {
    return new SileroVad(await OnnxModel.load(modelId, { intraOpThreads: 1 }), channels);
  }

  /** Frame hop in seconds (0.032). */
  get hopS(): number {
    return SILERO_FRAME / ENGINE_SAMPLE_RATE;
  }

  /**
   * Feeds samples of a single-channel instance (any length, 16 kHz, [-1, 1]).
   * @returns one speech probability per completed 512-sample frame, in [0, 1].
   */
  async push(samples: Float32Array): Promise<Float32Array> {
    return (await this.pushAll([samples]))[0];
  }

  /**
   * Feeds the same number of new samples for every channel.
   * @returns per channel, one probability per completed frame.
   * @throws Error when the channel count or lengths disagree.
   */
  async pushAll(samples: Float32Array[]): Promise<Float32Array[]> {
    if (samples.length !== this.channels)
      throw new Error(`expected ${this.channels} channels, got ${samples.length}`);
    const bufs = samples.map((x, c) => {
      const b = new Float32Array(this.pending[c].length + x.length);
      b.set(this.pending[c]);
      b.set(x, this.pending[c].length);
      return b;
    });
    const n = Math.floor(bufs[0].length / SILERO_FRAME);
    if (bufs.some((b) => Math.floor(b.length / SILERO_FRAME) !== n))
      throw new Error('channels must advance together');
    const probs = bufs.map(() => new Float32Array(n));
    for (let f = 0; f < n; f++) {
      const out = await this.step(bufs.map((b) => b.subarray(f * SILERO_FRAME, (f + 1) * SILERO_FRAME)));
      out.forEach((p, c) => (probs[c][f] = p));
    }
    this.pending = bufs.map((b) => b.slice(n * SILERO_FRAME));
    return probs;
  }

  /** Flushes the last partial frame (zero-padded) of a single-channel instance. */
  async flush(): Promise<Float32Array> {
    return (await this.flushAll())[0];
  }

  /** Flushes every channel's last partial frame. @returns 0 or 1 probability per channel. */
  async flushAll(): Promise<Float32Array[]> {
    if (this.pending[0].length === 0) return this.pending.map(() => new Float32Array(0));
    const frames = this.pending.map((p) => {
      const f = new Float32Array(SILERO_FRAME);
      f.set(p);
      return f;
    });
    this.pending = this.pending.map(() => new Float32Array(0));
    return (await this.step(frames)).map((p) => Float32Array.of(p));
  }

  private async step(frames: Float32Array[]): Promise<number[]> {
    const w = CONTEXT + SILERO_FRAME;
    frames.forEach((frame, c) => {
      this.input.set(this.context[c], c * w);
      this.input.set(frame, c * w + CONTEXT);
    });
    const out = await this.model.run({
      input: { data: this.input, dims: [this.channels, w] },
      state: { data: this.state, dims: [2, this.channels, STATE] },
      sr: { data: this.sr, dims: [] },
    });
    this.state = out.stateN.data;
    frames.forEach((frame, c) => this.context[c].set(frame.subarray(SILERO_FRAME - CONTEXT)));
    return Array.from(out.output.data.subarray(0, this.channels));
  }
}

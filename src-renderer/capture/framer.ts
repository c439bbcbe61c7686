/**
 * Two-track framing for the capture worklet: each render quantum carries the microphone input and
 * the system-output input of the same audio clock; both are down-mixed to mono, resampled to
 * 16 kHz by identical {@link StreamingResampler}s (same input length → same output length, so the
 * tracks stay sample-aligned), and cut into two-channel frames of {@link RENDERER_FRAME_SAMPLES}
 * samples (32 ms) stamped with the audio-clock time of their first sample. A track with no input
 * (not connected, or ended) contributes zeros and its live flag says so. Pure: runs in the
 * AudioWorklet scope and in vitest.
 */
import {
  RENDERER_CAPTURE_RATE,
  RENDERER_FRAME_SAMPLES,
  type RendererFrame,
} from '../../src-shared/contracts/capture.ts';
import { StreamingResampler } from './resampler.ts';

/** Name of the capture AudioWorkletProcessor (`new AudioWorkletNode(ctx, CAPTURE_PROCESSOR)`). */
export const CAPTURE_PROCESSOR = 'callscope-capture';

/** Which tracks are live (set from the main thread when a track ends). */
export interface TrackLiveness {
  mic: boolean;
  system: boolean;
}

/** Mono down-mix of one input's channels (`[]`: no input → zeros). */
export function downmix(channels: readonly Float32Array[], length: number): Float32Array {
  const out = new Float32Array(length);
  if (channels.length === 0) return out;
  for (const ch of channels) for (let i = 0; i < length; i++) out[i] += ch[i] ?? 0;
  if (channels.length > 1) for (let i = 0; i < length; i++) out[i] /= channels.length;
  return out;
}

/** Resamples and frames the two tracks of a capture. */
export class TwoTrackFramer {
  private readonly rs: [StreamingResampler, StreamingResampler];
  private readonly pending: [Float32Array, Float32Array];
  private fill = 0;
  private seq = 0;
  /** Audio-clock time of output sample 0, seconds; set by the first quantum. */
  private origin: number | null = null;
  private emitted = 0;

  /**
   * @param inRate the AudioContext's sample rate, Hz.
   * @param frameSamples samples per channel per frame (default 512 = 32 ms at 16 kHz).
   */
  constructor(
    readonly inRate: number,
    readonly frameSamples = RENDERER_FRAME_SAMPLES,
  ) {
    this.rs = [new StreamingResampler(inRate), new StreamingResampler(inRate)];
    this.pending = [new Float32Array(frameSamples), new Float32Array(frameSamples)];
  }

  /**
   * Consumes one render quantum.
   * @param mic channels of the microphone input (`[]` when it has none).
   * @param system channels of the system input (`[]` when it has none).
   * @param length samples per channel in this quantum (128 in current browsers).
   * @param time audio-clock time of the quantum's first sample (`currentTime`), seconds.
   * @returns the frames completed by this quantum (usually 0 or 1).
   */
  process(
    mic: readonly Float32Array[],
    system: readonly Float32Array[],
    length: number,
    time: number,
    live: TrackLiveness,
  ): RendererFrame[] {
    this.origin ??= time;
    const a = this.rs[0].process(downmix(mic, length));
    const b = this.rs[1].process(downmix(system, length));
    const n = Math.min(a.length, b.length); // equal by construction
    const out: RendererFrame[] = [];
    let i = 0;
    while (i < n) {
      const take = Math.min(n - i, this.frameSamples - this.fill);
      this.pending[0].set(a.subarray(i, i + take), this.fill);
      this.pending[1].set(b.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === this.frameSamples) {
        out.push({
          sampleRate: RENDERER_CAPTURE_RATE,
          seq: this.seq++,
          t0: this.origin + this.emitted / RENDERER_CAPTURE_RATE,
          micLive: live.mic,
          systemLive: live.system,
          mic: this.pending[0].slice(),
          system: this.pending[1].slice(),
        });
        this.emitted += this.frameSamples;
        this.fill = 0;
      }
    }
    return out;
  }
}

/** One VAD interface over several synchronised channels, for the pipeline. */
import type { OnnxModel } from '../inference/onnx.ts';
import { SileroVad } from './silero.ts';
import { WebRtcVad } from './webrtc.ts';

/** Streaming VAD over N channels that advance together. */
export interface MultiChannelVad {
  /** Frame hop, seconds. */
  readonly hopS: number;
  /** @returns per channel, one speech probability (0..1) per completed frame. */
  pushAll(samples: Float32Array[]): Promise<Float32Array[]>;
  /** @returns per channel, the probability of the zero-padded last frame (0 or 1 values). */
  flushAll(): Promise<Float32Array[]>;
}

/** WebRTC VAD per channel behind {@link MultiChannelVad}. */
class WebRtcBank implements MultiChannelVad {
  private readonly vads: WebRtcVad[];
  constructor(channels: number) {
    this.vads = Array.from({ length: channels }, () => new WebRtcVad(3));
  }
  get hopS(): number {
    return this.vads[0].hopS;
  }
  pushAll(samples: Float32Array[]): Promise<Float32Array[]> {
    return Promise.all(samples.map((x, c) => this.vads[c].push(x)));
  }
  flushAll(): Promise<Float32Array[]> {
    return Promise.all(this.vads.map((v) => v.flush()));
  }
}

/**
 * Creates the VAD for a pipeline run: Silero (batched over channels) or WebRTC.
 * @param channels number of channels, ≥ 1.
 */
export function createMultiChannelVad(
  kind: 'silero' | 'webrtc',
  model: OnnxModel,
  channels: number,
): MultiChannelVad {
  return kind === 'webrtc' ? new WebRtcBank(channels) : new SileroVad(model, channels);
}

/**
 * WebRTC VAD through `node-vad` (the design card's choice), as an alternative backend with the
 * same streaming shape as {@link SileroVad}: 30 ms frames, output 0/1 per frame.
 */
import { createRequire } from 'node:module';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

interface NodeVadInstance {
  processAudioFloat(buf: Buffer, rate: number): Promise<number>;
}
interface NodeVadModule {
  new (mode: number): NodeVadInstance;
  Mode: { NORMAL: number; LOW_BITRATE: number; AGGRESSIVE: number; VERY_AGGRESSIVE: number };
  Event: { ERROR: number; SILENCE: number; VOICE: number; NOISE: number };
}

/** Samples per WebRTC VAD frame at 16 kHz (30 ms; WebRTC accepts 10/20/30 ms). */
export const WEBRTC_FRAME = 480;

/** Aggressiveness 0..3 (WebRTC `WebRtcVad_set_mode`); higher rejects more non-speech. */
export type WebRtcMode = 0 | 1 | 2 | 3;

/** Streaming WebRTC VAD for one channel. */
export class WebRtcVad {
  private readonly vad: NodeVadInstance;
  private readonly events: NodeVadModule['Event'];
  private pending = new Float32Array(0);

  /** @throws Error when the native node-vad module cannot be loaded (rebuild with node-gyp). */
  constructor(mode: WebRtcMode = 3) {
    const require = createRequire(import.meta.url);
    const VAD = require('node-vad') as NodeVadModule;
    this.vad = new VAD(mode);
    this.events = VAD.Event;
  }

  /** Frame hop in seconds (0.03). */
  get hopS(): number {
    return WEBRTC_FRAME / ENGINE_SAMPLE_RATE;
  }

  /** Feeds 16 kHz samples; @returns 1 (voice) or 0 per completed 30 ms frame. */
  async push(samples: Float32Array): Promise<Float32Array> {
    const buf = new Float32Array(this.pending.length + samples.length);
    buf.set(this.pending);
    buf.set(samples, this.pending.length);
    const n = Math.floor(buf.length / WEBRTC_FRAME);
    const out = new Float32Array(n);
    for (let f = 0; f < n; f++) {
      const frame = buf.slice(f * WEBRTC_FRAME, (f + 1) * WEBRTC_FRAME);
      const ev = await this.vad.processAudioFloat(Buffer.from(frame.buffer), ENGINE_SAMPLE_RATE);
      if (ev === this.events.ERROR) throw new Error('WebRTC VAD failed on a frame');
      out[f] = ev === this.events.VOICE ? 1 : 0;
    }
    this.pending = buf.slice(n * WEBRTC_FRAME);
    return out;
  }

  /** Flushes a zero-padded last frame. */
  async flush(): Promise<Float32Array> {
    if (!this.pending.length) return new Float32Array(0);
    const frame = new Float32Array(WEBRTC_FRAME);
    frame.set(this.pending);
    this.pending = new Float32Array(0);
    return this.push(frame);
  }
}

/** Common shape of the VAD backends. */
export interface StreamingVad {
  readonly hopS: number;
  push(samples: Float32Array): Promise<Float32Array>;
  flush(): Promise<Float32Array>;
}

/**
 * The capture interface: every live source (ffmpeg device capture, file replay, the renderer
 * bridge) yields synchronised two-channel frames of 512 samples at 16 kHz (32 ms, one Silero VAD
 * frame) with timestamps, plus device events. Channel 0 is the microphone (local user),
 * channel 1 the system output (remote party).
 */
import { ENGINE_SAMPLE_RATE } from '../../src-shared/contracts/audio.ts';
import type { LiveChannel } from '../../src-shared/contracts/live.ts';

/** Samples per capture frame at 16 kHz (32 ms; equal to the Silero VAD frame). */
export const FRAME_SAMPLES = 512;
/** Capture sample rate, Hz: the engine's. */
export const CAPTURE_RATE = ENGINE_SAMPLE_RATE;
/** Frame duration, seconds. */
export const FRAME_S = FRAME_SAMPLES / CAPTURE_RATE;

/** One synchronised frame of both channels. */
export interface CaptureFrame {
  type: 'frame';
  /** Index of the frame since the start (frame i covers samples [512 i, 512 (i + 1))). */
  index: number;
  /** Session time of the first sample, seconds (= index · 0.032). */
  t0: number;
  /** Microphone samples, 512, [-1, 1]. Zeros after the mic was lost. */
  mic: Float32Array;
  /** System-output samples, 512, [-1, 1]. Zeros after the system channel was lost. */
  system: Float32Array;
  /** `performance.now()` when the frame became available to the analysis, ms. */
  arrivedMs: number;
}

/** A device event from a source. */
export interface CaptureDeviceEvent {
  type: 'device';
  /** The channel concerned, or null for the whole source. */
  channel: LiveChannel | null;
  /** `lost`: that channel stopped (the other goes on); `ended`: the source ended; `stalled`: no data. */
  state: 'lost' | 'ended' | 'stalled';
  message: string;
}

/** What a source yields. */
export type CaptureItem = CaptureFrame | CaptureDeviceEvent;

/** A live source of synchronised two-channel frames. */
export interface CaptureSource {
  /** Human-readable description (device names, files). */
  readonly description: string;
  /**
   * The frames and device events, in order; ends after an `ended` device event (source
   * exhausted, process exit) or after {@link stop}.
   */
  items(): AsyncIterable<CaptureItem>;
  /** Stops capturing; the iterator ends after the frames already captured. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Assembles frames from two independently arriving sample streams (one per channel): a frame is
 * released when both channels hold 512 samples, or from one channel alone once the other is lost.
 */
export class FrameAssembler {
  private readonly pending: [Float32Array[], Float32Array[]] = [[], []];
  private readonly count = [0, 0];
  private readonly lost = [false, false];
  private index = 0;

  /** Appends samples of channel 0 (mic) or 1 (system). */
  push(channel: 0 | 1, samples: Float32Array): void {
    if (this.lost[channel] || samples.length === 0) return;
    this.pending[channel].push(samples);
    this.count[channel] += samples.length;
  }

  /** Marks a channel as lost: from now on it is filled with zeros. */
  markLost(channel: 0 | 1): void {
    this.lost[channel] = true;
    this.pending[channel] = [];
    this.count[channel] = 0;
  }

  /** Whether a channel was lost. */
  isLost(channel: 0 | 1): boolean {
    return this.lost[channel];
  }

  /** Samples buffered per channel (not yet released). */
  buffered(): [number, number] {
    return [this.count[0], this.count[1]];
  }

  /** Frames that are complete now. @param nowMs arrival time to stamp, ms. */
  drain(nowMs: number): CaptureFrame[] {
    const out: CaptureFrame[] = [];
    const ready = (c: 0 | 1): boolean => this.lost[c] || this.count[c] >= FRAME_SAMPLES;
    const live = (c: 0 | 1): boolean => !this.lost[c];
    while (ready(0) && ready(1) && (live(0) || live(1))) {
      const mic = this.take(0);
      const system = this.take(1);
      out.push({ type: 'frame', index: this.index, t0: this.index * FRAME_S, mic, system, arrivedMs: nowMs });
      this.index++;
    }
    return out;
  }

  /** Releases the remaining samples of live channels as a last zero-padded frame (or none). */
  flush(nowMs: number): CaptureFrame[] {
    if (this.count[0] === 0 && this.count[1] === 0) return [];
    for (const c of [0, 1] as const) {
      if (!this.lost[c] && this.count[c] < FRAME_SAMPLES)
        this.push(c, new Float32Array(FRAME_SAMPLES - this.count[c]));
    }
    return this.drain(nowMs);
  }

  private take(c: 0 | 1): Float32Array {
    const out = new Float32Array(FRAME_SAMPLES);
    if (this.lost[c]) return out;
    let filled = 0;
    const q = this.pending[c];
    while (filled < FRAME_SAMPLES) {
      const head = q[0];
      const n = Math.min(head.length, FRAME_SAMPLES - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) q.shift();
      else q[0] = head.subarray(n);
    }
    this.count[c] -= FRAME_SAMPLES;
    return out;
  }
}

/**
 * An async queue of capture items fed by callbacks (process pipes) and read by `for await`.
 * Items pushed after {@link close} are dropped.
 */
export class ItemQueue {
  private readonly items: CaptureItem[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  /** Appends items and wakes the reader. */
  push(...items: CaptureItem[]): void {
    if (this.closed) return;
    this.items.push(...items);
    this.wake();
  }

  /** Ends the stream after the queued items. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Items queued and not read yet. */
  get length(): number {
    return this.items.length;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CaptureItem> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.closed) return;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/**
 * The capture helpers every live source (ffmpeg device capture, file replay, the renderer bridge)
 * builds on: a frame assembler for two independently arriving channels and an async item queue.
 * The frames and the source interface they produce are the engine's input types
 * (src-main/engine/audio/capture-frames.ts).
 */
import {
  type CaptureFrame,
  type CaptureItem,
  FRAME_S,
  FRAME_SAMPLES,
} from '../engine/audio/capture-frames.ts';

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

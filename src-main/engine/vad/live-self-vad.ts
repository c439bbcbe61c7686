/**
 * Streaming building blocks of live VAD: the dual-channel self-VAD with an adaptive bleed
 * estimate, and hysteresis turned into speech regions as frames arrive.
 *
 * Self-VAD (same decision as the file pipeline's `self-vad.ts`, made causal): per 32 ms frame the
 * mic's speech probability is kept where the system channel is silent, or where the mic's level
 * exceeds the system level by more than the bleed gain plus a margin. The bleed gain (dB of system
 * audio that reaches the mic: speakers instead of headphones) is a low percentile (10th) of
 * mic − system level over the last 30 s of frames in which the system channel has speech; it
 * adapts when the user changes from headphones to speakers or moves. Before 1 s of remote speech
 * has been heard it is unknown (−60 dB: everything on the mic counts as the user). An energy-ratio
 * double-talk detector in the spirit of Geigel (Duttweiler, IEEE Trans. Comm. 1978).
 */
import { dbfs } from '../audio/quality.ts';
import {
  DEFAULT_HYSTERESIS,
  type HysteresisOptions,
  type Interval,
  VAD_OFFSET,
  VAD_ONSET,
} from './regions.ts';

/** System probability below which the system channel counts as silent (as the file pipeline). */
const SYSTEM_SILENT = VAD_OFFSET;
/** System probability from which a frame feeds the bleed estimate (as the file pipeline). */
const SYSTEM_SPEECH = VAD_ONSET;

/** Options of {@link StreamingSelfVad}. */
export interface StreamingSelfVadOptions {
  /** dB by which the mic must exceed the estimated bleed (file pipeline default 6). */
  marginDb: number;
  /** Frames of remote speech kept for the estimate (938 ≈ 30 s). */
  historyFrames: number;
  /** Frames of remote speech needed before the estimate is used (30 ≈ 1 s). */
  minFrames: number;
  /**
   * Percentile of mic − system level used as the bleed gain, in (0, 1). Lower than the file
   * pipeline's 0.3: early in a call the few remote-speech frames seen so far are often the user's
   * own voice leaking into the system channel (room or laptop mics), which a causal estimate cannot
   * outvote with later frames; 0.1 keeps to bleed-only frames (dev stereo: live DER 73 → 65 % on
   * the two-room-mic file, unchanged on the others).
   */
  percentile: number;
}

export const DEFAULT_SELF_VAD: StreamingSelfVadOptions = {
  marginDb: 6,
  historyFrames: 938,
  minFrames: 30,
  percentile: 0.1,
};

/** Mean square of a frame. */
export function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return x.length ? s / x.length : 0;
}

/** Causal self-VAD with an adaptive bleed estimate. */
export class StreamingSelfVad {
  private readonly diffs: Float32Array;
  private n = 0;
  private head = 0;
  private sinceUpdate = 0;
  private bleed: number | null = null;

  constructor(private readonly opts: StreamingSelfVadOptions = DEFAULT_SELF_VAD) {
    this.diffs = new Float32Array(opts.historyFrames);
  }

  /** Current bleed gain estimate, dB (mic − system level); null until enough remote speech. */
  get bleedDb(): number | null {
    return this.bleed;
  }

  /**
   * One frame.
   * @param micProb mic speech probability, [0, 1]; `sysProb` likewise.
   * @param micPow, sysPow mean-square power of the frame of each channel.
   * @returns the local-user speech probability of this frame, [0, 1].
   */
  push(micProb: number, sysProb: number, micPow: number, sysPow: number): number {
    const diff = dbfs(micPow) - dbfs(sysPow);
    if (sysProb >= SYSTEM_SPEECH && sysPow > 0) this.addDiff(diff);
    if (sysProb < SYSTEM_SILENT) return micProb;
    return diff > (this.bleed ?? -60) + this.opts.marginDb ? micProb : 0;
  }

  private addDiff(d: number): void {
    this.diffs[this.head] = d;
    this.head = (this.head + 1) % this.diffs.length;
    this.n = Math.min(this.n + 1, this.diffs.length);
    // re-estimate every 8 frames (0.26 s): a sort of ≤ 938 values
    if (++this.sinceUpdate >= 8 || this.n === this.opts.minFrames) {
      this.sinceUpdate = 0;
      if (this.n >= this.opts.minFrames) {
        const sorted = this.diffs.slice(0, this.n).sort();
        this.bleed = sorted[Math.floor(this.n * this.opts.percentile)];
      }
    }
  }
}

/** Callbacks of {@link StreamingRegions}. */
export interface RegionListener {
  /** A region became certain (it lasted `minSpeechS`); `start` is padded. */
  onStart(start: number): void;
  /** A region ended (after `minSilenceS` of silence); padded. */
  onEnd(region: Interval): void;
}

/**
 * Hysteresis on per-frame probabilities, streamed: the same regions as
 * `speechRegionsFromProbs` (onset/offset thresholds, gaps < minSilence bridged, regions <
 * minSpeech dropped, padding), reported as soon as they are certain.
 */
export class StreamingRegions {
  private inSpeech = false;
  private frame = 0;
  private open: { start: number; lastEnd: number; started: boolean } | null = null;

  constructor(
    private readonly hopS: number,
    private readonly listener: RegionListener,
    private readonly opts: HysteresisOptions = DEFAULT_HYSTERESIS,
  ) {}

  /** Whether the hysteresis is in speech after the last frame. */
  get active(): boolean {
    return this.inSpeech;
  }

  /** Start of the region being confirmed or spoken, if any (padded). */
  get openStart(): number | null {
    return this.open?.started ? Math.max(0, this.open.start - this.opts.padS) : null;
  }

  /** Feeds the probability of the next frame. */
  push(p: number): void {
    const t = this.frame * this.hopS;
    const t1 = t + this.hopS;
    this.frame++;
    if (!this.inSpeech && p >= this.opts.onset) {
      this.inSpeech = true;
      if (this.open && t - this.open.lastEnd < this.opts.minSilenceS) this.open.lastEnd = t1;
      else {
        this.close();
        this.open = { start: t, lastEnd: t1, started: false };
      }
    } else if (this.inSpeech && p < this.opts.offset) {
      this.inSpeech = false;
    }
    const o = this.open;
    if (!o) return;
    if (this.inSpeech) {
      o.lastEnd = t1;
      if (!o.started && o.lastEnd - o.start >= this.opts.minSpeechS) {
        o.started = true;
        this.listener.onStart(Math.max(0, o.start - this.opts.padS));
      }
    } else if (t1 - o.lastEnd >= this.opts.minSilenceS) {
      this.close();
    }
  }

  /** Ends the stream: closes an open region at the end of the last frame. */
  finish(): void {
    this.inSpeech = false;
    this.close();
  }

  private close(): void {
    const o = this.open;
    this.open = null;
    if (!o || o.lastEnd - o.start < this.opts.minSpeechS) return;
    const start = Math.max(0, o.start - this.opts.padS);
    if (!o.started) this.listener.onStart(start);
    this.listener.onEnd({ start, end: o.lastEnd + this.opts.padS });
  }
}

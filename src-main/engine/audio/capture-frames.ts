/**
 * The live input the engine reads (`LiveSession.run`): synchronised two-channel frames of 512
 * samples at 16 kHz (32 ms, one Silero VAD frame) with timestamps, plus device events. Channel 0
 * is the microphone (local user), channel 1 the system output (remote party). Defined here, on the
 * engine's side, so that the engine imports nothing from `src-main/capture/`: every live source
 * there (ffmpeg device capture, file replay, the renderer bridge) implements {@link CaptureSource}.
 */
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';
import type { LiveChannel } from '../../../src-shared/contracts/live.ts';

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

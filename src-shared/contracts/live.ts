/**
 * Live monitoring contract: the typed events a live session emits (summaries at ≤ 20 Hz, never
 * raw PCM), the source and session options, and the service interface. Pure TypeScript; the
 * engine, CLI (`callscope live --format jsonl` prints one event per line), web host and renderer
 * all import it. Event fields are snake_case because they are also the JSONL wire format.
 */
import type { SpeakerAttributes } from './analysis.ts';
import type { IdentificationStatus } from './voiceprints.ts';

/** The two channels of a live call: microphone (the local user) and system output (remote). */
export type LiveChannel = 'mic' | 'system';

/** Where the audio of a live session comes from. */
export type LiveSourceSpec =
  | {
      kind: 'pulse';
      /** PulseAudio/PipeWire source name of the microphone; default: the default source. */
      mic?: string;
      /** Source name of the system channel; default: the default sink's `.monitor`. */
      system?: string;
    }
  | {
      kind: 'replay';
      /** One stereo file (ch0 = mic, ch1 = system) or two mono files [mic, system]. */
      files: string[];
      /** Playback speed, > 0 (1 = real time; `Infinity` = as fast as the analysis goes). */
      speed: number;
    }
  | { kind: 'avfoundation'; mic: string }
  | { kind: 'dshow'; mic: string };

/** Audio levels of both channels over the last ~100 ms. */
export interface LevelsEvent {
  type: 'levels';
  /** Session time at the end of the measured span, seconds. */
  t_s: number;
  mic_dbfs: number;
  system_dbfs: number;
  /** Estimated bleed of the system channel into the mic, dB (mic − system level); null = unknown. */
  bleed_db: number | null;
}

/** VAD state of both channels; emitted when any of them changes (and with each levels event). */
export interface VadEvent {
  type: 'vad';
  t_s: number;
  /** Speech on the mic channel (any speech, including bleed). */
  mic: boolean;
  /** Speech on the system channel. */
  system: boolean;
  /** Local-user speech after self-VAD (mic speech that is not bleed). */
  local: boolean;
}

/** A turn opened (the speaker may still be provisional). */
export interface TurnStartEvent {
  type: 'turn_start';
  channel: LiveChannel;
  /** Speaker key, `you` on the mic, `S1`, `S2`, … on the system channel. */
  speaker: string;
  label: string;
  start_s: number;
}

/** A finalised turn (written to the store when the session has one). */
export interface TurnEvent {
  type: 'turn';
  channel: LiveChannel;
  speaker: string;
  label: string;
  start_s: number;
  end_s: number;
  /**
   * Seconds of the speaker's clear speech kept so far (frames where it spoke alone, at most the
   * last 30 s): what "remember this voice" enrolls from, so the UI enables it on this, not on
   * talk time. Absent from sessions of older versions.
   */
  clean_speech_s?: number;
}

/** A speaker appeared, was identified from the voiceprint library, relabelled, or merged. */
export interface SpeakerEvent {
  type: 'speaker';
  /**
   * `new`: first seen; `identified`: the library named it (or decided it is unknown);
   * `relabelled`: its label changed; `merged`: it turned out to be `into`.
   */
  change: 'new' | 'identified' | 'relabelled' | 'merged';
  speaker: string;
  channel: LiveChannel;
  label: string;
  t_s: number;
  /** Identification status (voiceprint library), when identified. */
  status?: IdentificationStatus;
  /** Cosine similarity of the best voiceprint, when identified. */
  similarity?: number;
  /** For `merged`: the speaker it was merged into. */
  into?: string;
}

/** Age/gender estimate of a speaker (first after ~3 s of clean speech, refined later). */
export interface AttributesEvent {
  type: 'attributes';
  speaker: string;
  t_s: number;
  attributes: SpeakerAttributes;
}

/** Live quality warning kinds (thresholds in src-main/engine/audio/quality.ts). */
export type LiveQualityFlag = 'clipping' | 'low_volume' | 'silence' | 'bleed';

/** A quality warning raised (`active: true`) or cleared. */
export interface QualityEvent {
  type: 'quality';
  channel: LiveChannel;
  flag: LiveQualityFlag;
  active: boolean;
  t_s: number;
  message: string;
}

/** A capture device problem: a channel was lost (session goes on) or the source ended. */
export interface DeviceEvent {
  type: 'device';
  /** The lost channel, or null when the whole source ended. */
  channel: LiveChannel | null;
  state: 'lost' | 'ended' | 'stalled';
  t_s: number;
  message: string;
}

/** Session lifecycle. */
export interface SessionEvent {
  type: 'session';
  state: 'started' | 'stopped';
  t_s: number;
  /** History call id when the session writes to a store. */
  call_id: number | null;
  /** Human-readable description of the source (device names or files). */
  source: string;
}

/** Every event of a live session (discriminated by `type`). */
export type LiveEvent =
  | LevelsEvent
  | VadEvent
  | TurnStartEvent
  | TurnEvent
  | SpeakerEvent
  | AttributesEvent
  | QualityEvent
  | DeviceEvent
  | SessionEvent;

/** Event type names, for validation on the receiving side. */
export const LIVE_EVENT_TYPES = [
  'levels',
  'vad',
  'turn_start',
  'turn',
  'speaker',
  'attributes',
  'quality',
  'device',
  'session',
] as const satisfies readonly LiveEvent['type'][];

/** Maximum rate of summary events (levels + vad), Hz (ARCHITECTURE.md: at most ~20 Hz). */
export const LIVE_MAX_SUMMARY_HZ = 20;

/** Summary of a finished session. */
export interface LiveSessionSummary {
  durationS: number;
  callId: number | null;
  turns: number;
  speakers: { id: string; label: string; channel: LiveChannel; speechS: number }[];
  warnings: string[];
}

/** Service interface (engine side implements it; CLI and UI call it). */
export interface LiveService {
  /** Starts a session; events arrive through `onEvent`. @returns a session id. */
  start(source: LiveSourceSpec, opts?: { dbPath?: string }): Promise<string>;
  /** Stops a session: closes the open turns and the call in the history. */
  stop(sessionId: string): Promise<LiveSessionSummary>;
  /** Subscribes to a session's events. @returns an unsubscribe function. */
  onEvent(sessionId: string, listener: (e: LiveEvent) => void): () => void;
}

/** Channel names of the live domain for the generic IPC plumbing. */
export const LIVE_CHANNELS = { service: 'callscope:live', events: 'callscope:live:events' } as const;

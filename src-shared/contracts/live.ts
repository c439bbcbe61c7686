/**
 * Live monitoring contract: the typed events a live session emits (summaries at ≤ 20 Hz, never
 * raw PCM), the source and session options, and the service interface. Pure TypeScript; the
 * engine, CLI (`callscope live --format jsonl` prints one event per line), web host and renderer
 * all import it. Event fields are snake_case because they are also the JSONL wire format.
 */
import { z } from 'zod';

import type { SpeakerAttributes } from './analysis.ts';
import type { IdentificationStatus } from './voiceprints.ts';

/** The two channels of a live call: microphone (the local user) and system output (remote). */
export type LiveChannel = 'mic' | 'system';

/**
 * A live speaker key, the `speaker` of every live event and of "remember this voice". The grammar,
 * defined here once:
 * - `you`: the local user, i.e. all mic speech after self-VAD (the default, one person at the mic);
 * - `S<n>`: the n-th remote speaker found by the streaming diarizer of the system channel;
 * - `L<n>`: the n-th local speaker found by the streaming diarizer of the mic channel, used instead
 *   of `you` when several people share the microphone (`diarizeMic`).
 *
 * `n` counts from 1 in order of appearance, without leading zeros. A speaker merged into another
 * keeps its key; it resolves to the one it was merged into.
 */
export type LiveSpeakerKey = 'you' | `S${number}` | `L${number}`;

/** The key of the local user when the mic channel is not diarized. */
export const LIVE_YOU = 'you' satisfies LiveSpeakerKey;

/** Key prefix of the speakers of each diarized channel: `S` system (remote), `L` mic (local). */
export const LIVE_KEY_PREFIX = { system: 'S', mic: 'L' } as const satisfies Record<LiveChannel, string>;

/**
 * Accepts exactly the {@link LiveSpeakerKey} grammar, with `n` ≤ 9999 (a bound far above any call,
 * so a key stays short on the wire). Used by every schema and parser of a live speaker key.
 */
export const LIVE_SPEAKER_KEY_RE = /^(?:you|[SL][1-9][0-9]{0,3})$/;

/** zod schema of a {@link LiveSpeakerKey} received over RPC (see {@link LIVE_SPEAKER_KEY_RE}). */
export const LiveSpeakerKeySchema = z
  .string()
  .regex(LIVE_SPEAKER_KEY_RE, 'not a live speaker key (you, S1, S2, …, L1, L2, …)');

/**
 * The key of the `index`-th speaker (0-based, as the diarizer counts) of a diarized channel.
 * @example liveSpeakerKey('system', 0) === 'S1'; liveSpeakerKey('mic', 1) === 'L2'
 * @throws RangeError when `index` is not an integer ≥ 0.
 */
export function liveSpeakerKey(channel: LiveChannel, index: number): LiveSpeakerKey {
  if (!Number.isInteger(index) || index < 0)
    throw new RangeError(`live speaker index must be an integer >= 0, got ${index}`);
  return `${LIVE_KEY_PREFIX[channel]}${index + 1}`;
}

/**
 * Reads a key of the {@link LiveSpeakerKey} grammar.
 * @returns `{ channel: 'mic', n: null }` for `you`; the channel and `n` (≥ 1) for `S<n>`/`L<n>`;
 *   null for anything else.
 */
export function parseLiveSpeakerKey(key: string): { channel: LiveChannel; n: number | null } | null {
  if (!LIVE_SPEAKER_KEY_RE.test(key)) return null;
  if (key === LIVE_YOU) return { channel: 'mic', n: null };
  return { channel: key[0] === LIVE_KEY_PREFIX.system ? 'system' : 'mic', n: Number(key.slice(1)) };
}

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

/**
 * VAD state of both channels. Emitted only when one of the three states changes (never on a timer:
 * a silent session sends none). VAD and levels events share one budget of at most
 * {@link LIVE_MAX_SUMMARY_HZ} per second (bursts of 2), VAD first; a change that finds the budget
 * spent goes out with a later frame, carrying the state at that frame (changes in between
 * coalesce).
 */
export interface VadEvent {
  type: 'vad';
  /** Session time at the end of the 32 ms frame the state belongs to, seconds. */
  t_s: number;
  /**
   * Speech on the mic channel (any speech, including bleed): the frame's Silero probability with
   * hysteresis, on at ≥ 0.5, off below 0.35.
   */
  mic: boolean;
  /** Speech on the system channel (same hysteresis). */
  system: boolean;
  /**
   * Local-user speech after self-VAD (mic speech that is not bleed): the self-VAD's local-speech
   * probability with the same hysteresis (on at ≥ 0.5, off below 0.35), and above 0 in this frame.
   */
  local: boolean;
}

/** A turn opened (the speaker may still be provisional). */
export interface TurnStartEvent {
  type: 'turn_start';
  channel: LiveChannel;
  /** Speaker key ({@link LiveSpeakerKey}): `you` or `L1`, `L2`, … on the mic, `S1`, `S2`, … on the system. */
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

/**
 * Call history contract: stored analysed calls, listed in pages with search, opened, deleted
 * (cascade) and exported. Speaker names are resolved at read time from the voiceprint library,
 * so renaming or merging a voiceprint relabels past calls. Pure TypeScript.
 */
import type { AnalysisResult } from './analysis.ts';
import type { ExportFormat } from '../formats/exports.ts';

/** One row of the history list. */
export interface CallSummary {
  id: number;
  /** `file:<path>` or `live`. */
  source: string;
  /** File name (or live session title). */
  title: string;
  /** ISO 8601 time the call started (file: the analysis time). */
  startedAt: string;
  durationS: number;
  channels: number;
  speakerCount: number;
  turnCount: number;
  /** Resolved speaker labels (names of known voices, `Unknown N` otherwise). */
  speakers: string[];
}

/** Query of one history page. Search matches the title, source and speaker names. */
export interface HistoryQuery {
  /** Rows per page, 1..500 (default 50). */
  limit?: number;
  /** Rows skipped, ≥ 0. */
  offset?: number;
  search?: string;
}

/** One page of history. */
export interface HistoryPage {
  total: number;
  offset: number;
  calls: CallSummary[];
}

/** A stored call, as an analysis result with labels resolved from the library. */
export interface StoredCall {
  summary: CallSummary;
  result: AnalysisResult;
  /** Per speaker id of the result: the linked voiceprint, when identified. */
  voiceprintIds: Record<string, number | null>;
}

/** Service interface (engine side implements it; CLI and UI call it). */
/**
 * A stretch of a call's kept audio for playback: 16 kHz mono 16-bit PCM WAV, base64-encoded.
 * `startS`/`endS` are the seconds of the call it covers (clamped to the call).
 */
export interface AudioClip {
  mime: 'audio/wav';
  base64: string;
  startS: number;
  endS: number;
}

/** Longest clip {@link HistoryService.audioClip} returns, seconds (≈ 1 MB of WAV). */
export const MAX_AUDIO_CLIP_S = 30;

export interface HistoryService {
  list(q: HistoryQuery): Promise<HistoryPage>;
  open(id: number): Promise<StoredCall>;
  delete(id: number): Promise<void>;
  export(id: number, format: ExportFormat): Promise<string>;
  /**
   * Plays back who spoke: the call's audio from `startS` to `endS` (seconds, at most
   * {@link MAX_AUDIO_CLIP_S}), only for calls analysed while "Keep call audio" was on.
   * @throws Error with code `not_kept` when the call's audio was not kept (the default), and
   *   `bad_request` for an empty or reversed range.
   */
  audioClip(id: number, startS: number, endS: number): Promise<AudioClip>;
}

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
export interface HistoryService {
  list(q: HistoryQuery): Promise<HistoryPage>;
  open(id: number): Promise<StoredCall>;
  delete(id: number): Promise<void>;
  export(id: number, format: ExportFormat): Promise<string>;
}

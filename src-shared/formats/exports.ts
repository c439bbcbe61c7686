/**
 * Exports of an {@link AnalysisResult}: JSON (the result itself), RTTM (NIST Rich Transcription
 * Time Marked, one SPEAKER line per turn) and CSV (one row per turn). Pure functions.
 */
import type { AnalysisResult } from '../contracts/analysis.ts';
import { formatRttm } from './rttm.ts';

/** Export formats a result can be written in. */
export type ExportFormat = 'json' | 'rttm' | 'csv';

/** Pretty-printed JSON of the whole result. */
export function resultToJson(result: AnalysisResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}

/**
 * RTTM of the turns; speaker names are the result's speaker ids (`you`, `S1`, …).
 * @param fileId RTTM file id (no whitespace), by convention the input name without extension.
 * @throws Error when fileId contains whitespace.
 */
export function resultToRttm(result: AnalysisResult, fileId: string): string {
  return formatRttm(
    fileId,
    result.turns.map((t) => ({ start: t.startS, end: t.endS, speaker: t.speakerId })),
  );
}

const csvField = (v: string | number | boolean): string => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV with a header: start_s,end_s,duration_s,speaker_id,speaker_label,channel,overlap. */
export function resultToCsv(result: AnalysisResult): string {
  const labels = new Map(result.speakers.map((s) => [s.id, s.label]));
  const rows = [
    ['start_s', 'end_s', 'duration_s', 'speaker_id', 'speaker_label', 'channel', 'overlap'].join(','),
  ];
  for (const t of result.turns) {
    rows.push(
      [
        t.startS.toFixed(3),
        t.endS.toFixed(3),
        (t.endS - t.startS).toFixed(3),
        t.speakerId,
        labels.get(t.speakerId) ?? '',
        t.channel,
        t.overlap,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return rows.join('\n') + '\n';
}

/** Serialises a result in the given format. */
export function exportResult(result: AnalysisResult, format: ExportFormat, fileId: string): string {
  if (format === 'json') return resultToJson(result);
  if (format === 'rttm') return resultToRttm(result, fileId);
  return resultToCsv(result);
}

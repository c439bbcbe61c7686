/**
 * Voice-activity detection metrics (speech/non-speech precision, recall and F1), computed by exact
 * interval arithmetic. Durations follow pyannote.metrics' detection metrics
 * (`pyannote/metrics/detection.py`: DetectionPrecision / DetectionRecall), with the NIST md-eval
 * collar convention (no-score zone on each side of every reference boundary) used by `der.ts`.
 */
import { speechRegions } from '../../../src-shared/formats/rttm.ts';
import type { TimeInterval } from '../../../src-shared/formats/rttm.ts';

/** Options of {@link vadMetrics}. */
export interface VadOptions {
  /** No-score zone in seconds (≥ 0, default 0) on EACH side of every reference speech boundary. */
  collar?: number;
}

/** Result of {@link vadMetrics}: fractions in [0, 1] and durations in seconds. */
export interface VadResult {
  precision: number;
  recall: number;
  f1: number;
  /** Scored time that is speech in both reference and hypothesis. */
  tp: number;
  /** Scored time that is speech in the hypothesis only. */
  fp: number;
  /** Scored time that is speech in the reference only. */
  fn: number;
}

function totalDuration(intervals: readonly TimeInterval[]): number {
  let sum = 0;
  for (const iv of intervals) sum += iv.end - iv.start;
  return sum;
}

/** Total duration of `a ∩ b` for sorted disjoint interval lists, seconds. */
function intersectionDuration(a: readonly TimeInterval[], b: readonly TimeInterval[]): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i].start, b[j].start);
    const hi = Math.min(a[i].end, b[j].end);
    if (hi > lo) sum += hi - lo;
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return sum;
}

/**
 * Derives precision, recall and F1 from true-positive, false-positive and false-negative time.
 * Conventions for empty denominators: precision = 1 when there is no hypothesis speech
 * (tp + fp = 0), recall = 1 when there is no reference speech (tp + fn = 0), F1 = 0 when
 * precision + recall = 0. Hence no speech on either side gives P = R = F1 = 1, and a silent
 * hypothesis against reference speech gives P = 1, R = 0, F1 = 0.
 *
 * @param tp true-positive time, seconds ≥ 0.
 * @param fp false-positive time, seconds ≥ 0.
 * @param fn false-negative time, seconds ≥ 0.
 * @returns the full {@link VadResult}.
 */
export function vadScores(tp: number, fp: number, fn: number): VadResult {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn };
}

/**
 * Speech-detection precision / recall / F1 of hypothesis speech regions against reference speech
 * regions (pyannote.metrics detection metrics: precision = tp / (tp + fp), recall = tp / (tp + fn),
 * F1 their harmonic mean). Both inputs are first reduced to their union (overlaps merged); with a
 * collar, the zones `[b − collar, b + collar]` around every boundary `b` of the merged reference
 * speech are removed from scoring for both sides. Empty denominators: see {@link vadScores}.
 *
 * @param refSpeech reference speech intervals, seconds (may overlap; e.g. all speaker turns).
 * @param hypSpeech hypothesis speech intervals, seconds.
 * @param opts collar in seconds on each side (≥ 0, default 0).
 * @returns tp/fp/fn in seconds and precision/recall/F1 in [0, 1].
 * @throws RangeError on a non-finite or negative collar, or an interval with a non-finite time
 *   or `end < start`.
 */
export function vadMetrics(
  refSpeech: readonly TimeInterval[],
  hypSpeech: readonly TimeInterval[],
  opts: VadOptions = {},
): VadResult {
  const collar = opts.collar ?? 0;
  if (!Number.isFinite(collar) || collar < 0) throw new RangeError(`collar must be ≥ 0 s, got ${collar}`);
  for (const iv of [...refSpeech, ...hypSpeech]) {
    if (!Number.isFinite(iv.start) || !Number.isFinite(iv.end) || iv.end < iv.start) {
      throw new RangeError(`invalid speech interval ${iv.start}–${iv.end}`);
    }
  }
  let ref = speechRegions(refSpeech);
  let hyp = speechRegions(hypSpeech);
  if (collar > 0) {
    const zones = speechRegions(
      ref.flatMap((r) => [
        { start: r.start - collar, end: r.start + collar },
        { start: r.end - collar, end: r.end + collar },
      ]),
    );
    ref = subtract(ref, zones);
    hyp = subtract(hyp, zones);
  }
  const tp = intersectionDuration(ref, hyp);
  const fp = totalDuration(subtract(hyp, ref));
  const fn = totalDuration(subtract(ref, hyp));
  return vadScores(tp, fp, fn);
}

/** `a \ b` as intervals, for sorted disjoint lists. */
function subtract(a: readonly TimeInterval[], b: readonly TimeInterval[]): TimeInterval[] {
  const out: TimeInterval[] = [];
  let j = 0;
  for (const iv of a) {
    let cursor = iv.start;
    while (j < b.length && b[j].end <= cursor) j++;
    for (let k = j; k < b.length && b[k].start < iv.end; k++) {
      if (b[k].start > cursor) out.push({ start: cursor, end: b[k].start });
      cursor = Math.max(cursor, b[k].end);
      if (cursor >= iv.end) break;
    }
    if (iv.end > cursor) out.push({ start: cursor, end: iv.end });
  }
  return out;
}

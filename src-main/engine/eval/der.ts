/**
 * Diarization error rate (DER), computed exactly on elementary segments (no frame quantisation),
 * following the NIST md-eval / pyannote.metrics conventions:
 *
 * - pyannote.metrics `DiarizationErrorRate` (`pyannote/metrics/diarization.py`,
 *   `identification.py`, `matcher.py`): optimal one-to-one speaker mapping by the Hungarian
 *   algorithm on the co-occurrence durations, then per elementary segment
 *   missed / false alarm / confusion from the counts of reference, hypothesis and correctly mapped
 *   speakers;
 * - NIST md-eval-v21.pl: the collar is the no-score zone on EACH side of every reference speaker
 *   boundary (pyannote.metrics' `collar` argument is the total width, i.e. 2× this value).
 */
import { munkres } from 'munkres';

import { speechRegions } from '../../../src-shared/formats/rttm.ts';
import type { SpeakerSegment, TimeInterval } from '../../../src-shared/formats/rttm.ts';

/** Options of {@link diarizationErrorRate}. */
export interface DerOptions {
  /**
   * No-score zone, in seconds (≥ 0, default 0), removed on EACH side of every reference speaker
   * turn start and end (NIST md-eval `-c` convention; pyannote.metrics' `collar` = 2× this value).
   */
  collar?: number;
  /** When true, regions where ≥ 2 reference speakers overlap are not scored. Default false. */
  skipOverlap?: boolean;
  /** Scoring region (un-partitioned evaluation map), seconds. Default: the whole timeline. */
  uem?: TimeInterval;
}

/** Result of {@link diarizationErrorRate}. All durations are in seconds of speaker time. */
export interface DerResult {
  /** (missed + falseAlarm + confusion) / total; ≥ 0, may exceed 1; see the function docs for total = 0. */
  der: number;
  /** Reference speaker time with no hypothesis speaker to match it. */
  missed: number;
  /** Hypothesis speaker time beyond the number of reference speakers. */
  falseAlarm: number;
  /** Speaker time attributed to the wrong (unmapped or differently mapped) speaker. */
  confusion: number;
  /** Scored reference speech, counting each speaker (overlap of two speakers counts twice). */
  total: number;
  /** Reference speaker time matched by its mapped hypothesis speaker. */
  correct: number;
  /** Optimal one-to-one mapping hypothesis speaker → reference speaker (pairs that co-occur only). */
  mapping: Record<string, string>;
}

/**
 * Groups turns by speaker and merges the overlapping / touching turns of each speaker.
 *
 * @param segments turns in seconds; empty turns (`end ≤ start`) are dropped.
 * @returns speaker → disjoint sorted intervals; speakers with no positive-length turn are absent.
 *   Speakers appear in order of first appearance in the input.
 * @throws RangeError when a turn has a non-finite time or `end < start`.
 */
export function mergeTurnsBySpeaker(segments: readonly SpeakerSegment[]): Map<string, TimeInterval[]> {
  const grouped = new Map<string, TimeInterval[]>();
  for (const s of segments) {
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end) || s.end < s.start) {
      throw new RangeError(`invalid turn ${s.start}–${s.end} of speaker ${s.speaker}`);
    }
    if (s.end === s.start) continue;
    let list = grouped.get(s.speaker);
    if (!list) {
      list = [];
      grouped.set(s.speaker, list);
    }
    list.push({ start: s.start, end: s.end });
  }
  const merged = new Map<string, TimeInterval[]>();
  for (const [speaker, list] of grouped) merged.set(speaker, speechRegions(list));
  return merged;
}

/**
 * Optimal one-to-one assignment maximising the total weight (Hungarian algorithm, `munkres`
 * package). Works for rectangular matrices: min(rows, cols) pairs are returned.
 *
 * @param weights `weights[r][c]` ≥ 0, finite; all rows the same length.
 * @returns `[row, col]` pairs sorted by row; `[]` when either dimension is 0.
 */
export function maxWeightAssignment(weights: readonly (readonly number[])[]): Array<[number, number]> {
  const rows = weights.length;
  const cols = rows > 0 ? weights[0].length : 0;
  if (rows === 0 || cols === 0) return [];
  let max = 0;
  for (const row of weights) for (const w of row) if (w > max) max = w;
  const cost = weights.map((row) => row.map((w) => max - w));
  return munkres(cost)
    .map(([r, c]): [number, number] => [r, c])
    .sort((a, b) => a[0] - b[0]);
}

/** One elementary segment kept for scoring: its duration and the active speakers' indices. */
interface ScoredSegment {
  duration: number;
  ref: number[];
  hyp: number[];
}

interface Event {
  time: number;
  /** 0: reference speaker, 1: hypothesis speaker, 2: collar zone. */
  kind: 0 | 1 | 2;
  index: number;
  delta: 1 | -1;
}

/**
 * Cuts the timeline at every boundary (reference turns, hypothesis turns, collar zones, UEM) and
 * returns the scored elementary segments with their active speakers.
 */
function scoredSegments(
  ref: TimeInterval[][],
  hyp: TimeInterval[][],
  collar: number,
  skipOverlap: boolean,
  uem: TimeInterval | undefined,
): ScoredSegment[] {
  const events: Event[] = [];
  const times: number[] = [];
  const addInterval = (iv: TimeInterval, kind: 0 | 1 | 2, index: number): void => {
    events.push({ time: iv.start, kind, index, delta: 1 }, { time: iv.end, kind, index, delta: -1 });
    times.push(iv.start, iv.end);
  };
  ref.forEach((turns, i) => turns.forEach((t) => addInterval(t, 0, i)));
  hyp.forEach((turns, i) => turns.forEach((t) => addInterval(t, 1, i)));
  if (collar > 0) {
    for (const turns of ref) {
      for (const t of turns) {
        addInterval({ start: t.start - collar, end: t.start + collar }, 2, 0);
        addInterval({ start: t.end - collar, end: t.end + collar }, 2, 0);
      }
    }
  }
  if (uem) times.push(uem.start, uem.end);
  events.sort((a, b) => a.time - b.time);
  const bounds = [...new Set(times)].sort((a, b) => a - b);

  const refCount = new Int32Array(ref.length);
  const hypCount = new Int32Array(hyp.length);
  let collarCount = 0;
  let e = 0;
  const out: ScoredSegment[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const t0 = bounds[b];
    const t1 = bounds[b + 1];
    for (; e < events.length && events[e].time <= t0; e++) {
      const ev = events[e];
      if (ev.kind === 0) refCount[ev.index] += ev.delta;
      else if (ev.kind === 1) hypCount[ev.index] += ev.delta;
      else collarCount += ev.delta;
    }
    if (collarCount > 0) continue;
    if (uem && (t0 < uem.start || t1 > uem.end)) continue;
    const activeRef: number[] = [];
    for (let i = 0; i < refCount.length; i++) if (refCount[i] > 0) activeRef.push(i);
    const activeHyp: number[] = [];
    for (let i = 0; i < hypCount.length; i++) if (hypCount[i] > 0) activeHyp.push(i);
    if (activeRef.length === 0 && activeHyp.length === 0) continue;
    if (skipOverlap && activeRef.length >= 2) continue;
    out.push({ duration: t1 - t0, ref: activeRef, hyp: activeHyp });
  }
  return out;
}

/**
 * Diarization error rate of a hypothesis against a reference, for one recording.
 *
 * Definition (pyannote.metrics `DiarizationErrorRate`, NIST md-eval): same-speaker overlapping
 * turns are merged within the reference and within the hypothesis; the timeline is cut at every
 * boundary into elementary segments; the collar zones `[b − collar, b + collar]` around every
 * reference turn boundary `b`, the outside of `uem`, and (with `skipOverlap`) reference overlap
 * are removed from scoring for both reference and hypothesis. On the scored segments the optimal
 * one-to-one mapping hypothesis → reference speaker maximising total co-occurrence duration is
 * found (Hungarian algorithm). Then for each segment of duration d with Nref reference speakers,
 * Nhyp hypothesis speakers and Ncorrect mapped pairs both active:
 * missed += d·max(0, Nref − Nhyp), falseAlarm += d·max(0, Nhyp − Nref),
 * confusion += d·(min(Nref, Nhyp) − Ncorrect), correct += d·Ncorrect, total += d·Nref;
 * der = (missed + falseAlarm + confusion) / total.
 *
 * When total = 0 (no scored reference speech), der is 0 if there is no scored hypothesis speech
 * either, and `Infinity` otherwise (pure false alarm; pyannote.metrics would divide by zero too).
 *
 * @param ref reference turns, seconds.
 * @param hyp hypothesis turns, seconds.
 * @param opts collar (seconds each side, ≥ 0, default 0), skipOverlap (default false), uem.
 * @returns durations in seconds and der as a fraction (0 = perfect; can exceed 1).
 * @throws RangeError on a non-finite or negative collar, a reversed UEM, or an invalid turn.
 */
export function diarizationErrorRate(
  ref: readonly SpeakerSegment[],
  hyp: readonly SpeakerSegment[],
  opts: DerOptions = {},
): DerResult {
  const collar = opts.collar ?? 0;
  if (!Number.isFinite(collar) || collar < 0) throw new RangeError(`collar must be ≥ 0 s, got ${collar}`);
  const uem = opts.uem;
  if (uem && !(Number.isFinite(uem.start) && Number.isFinite(uem.end) && uem.end >= uem.start)) {
    throw new RangeError(`invalid UEM ${uem.start}–${uem.end}`);
  }
  const refTurns = mergeTurnsBySpeaker(ref);
  const hypTurns = mergeTurnsBySpeaker(hyp);
  const refNames = [...refTurns.keys()];
  const hypNames = [...hypTurns.keys()];
  const segments = scoredSegments(
    [...refTurns.values()],
    [...hypTurns.values()],
    collar,
    opts.skipOverlap ?? false,
    uem,
  );

  // Co-occurrence durations on the scored regions, then the optimal mapping.
  const cooc = refNames.map(() => hypNames.map(() => 0));
  for (const s of segments) for (const r of s.ref) for (const h of s.hyp) cooc[r][h] += s.duration;
  const hypToRef = new Int32Array(hypNames.length).fill(-1);
  for (const [r, h] of maxWeightAssignment(cooc)) if (cooc[r][h] > 0) hypToRef[h] = r;

  let missed = 0;
  let falseAlarm = 0;
  let confusion = 0;
  let correct = 0;
  let total = 0;
  for (const s of segments) {
    const nRef = s.ref.length;
    const nHyp = s.hyp.length;
    let nCorrect = 0;
    for (const h of s.hyp) if (hypToRef[h] >= 0 && s.ref.includes(hypToRef[h])) nCorrect++;
    const d = s.duration;
    missed += d * Math.max(0, nRef - nHyp);
    falseAlarm += d * Math.max(0, nHyp - nRef);
    confusion += d * (Math.min(nRef, nHyp) - nCorrect);
    correct += d * nCorrect;
    total += d * nRef;
  }
  const errors = missed + falseAlarm + confusion;
  const der = total > 0 ? errors / total : errors > 0 ? Infinity : 0;
  const mapping = Object.fromEntries(
    hypNames.flatMap((name, h) => (hypToRef[h] >= 0 ? [[name, refNames[hypToRef[h]]]] : [])),
  ) as Record<string, string>;
  return { der, missed, falseAlarm, confusion, total, correct, mapping };
}

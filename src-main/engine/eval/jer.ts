/**
 * Jaccard error rate (JER), the DIHARD II/III secondary diarization metric, after dscore
 * (`scorelib/metrics.py`, https://github.com/nryant/dscore), computed exactly on intervals instead
 * of dscore's 10 ms frames, without collar or UEM.
 */
import type { SpeakerSegment, TimeInterval } from '../../../src-shared/formats/rttm.ts';

import { maxWeightAssignment, mergeTurnsBySpeaker } from './der.ts';

/** Result of {@link jaccardErrorRate}; all values are fractions in [0, 1]. */
export interface JerResult {
  /** Mean of the per-reference-speaker JERs. */
  jer: number;
  /** Reference speaker → 1 − Jaccard index with its mapped hypothesis speaker (1 when unmapped). */
  perSpeaker: Record<string, number>;
}

function totalDuration(intervals: readonly TimeInterval[]): number {
  let sum = 0;
  for (const iv of intervals) sum += iv.end - iv.start;
  return sum;
}

/** Total duration of the intersection of two sorted disjoint interval lists, seconds. */
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
 * Jaccard error rate of a hypothesis against a reference, for one recording.
 *
 * Convention (DIHARD / dscore): same-speaker turns are merged; for every reference speaker r and
 * hypothesis speaker h, Jaccard(r, h) = |r ∩ h| / |r ∪ h| of their speech time. The one-to-one
 * mapping maximising the sum of Jaccard indices is found (Hungarian algorithm; equivalently
 * dscore's minimisation of the summed per-pair JER). Each reference speaker's JER is
 * 1 − Jaccard with its mapped hypothesis speaker, or 1 when it is left unmapped (more reference
 * than hypothesis speakers); unmapped hypothesis speakers add nothing. JER = mean over reference
 * speakers, so every reference speaker weighs the same whatever its speaking time.
 * Edge cases as in dscore: no reference and no hypothesis speaker → 0; no reference speaker but
 * some hypothesis speech → 1 (perSpeaker is then empty). Speakers whose turns all have zero
 * length do not count.
 *
 * @param ref reference turns, seconds.
 * @param hyp hypothesis turns, seconds.
 * @returns jer and per-reference-speaker JER, fractions in [0, 1].
 * @throws RangeError on a turn with a non-finite time or `end < start`.
 */
export function jaccardErrorRate(ref: readonly SpeakerSegment[], hyp: readonly SpeakerSegment[]): JerResult {
  const refTurns = [...mergeTurnsBySpeaker(ref)];
  const hypTurns = [...mergeTurnsBySpeaker(hyp)];
  if (refTurns.length === 0) return { jer: hypTurns.length === 0 ? 0 : 1, perSpeaker: {} };

  const hypDur = hypTurns.map(([, turns]) => totalDuration(turns));
  const jaccard = refTurns.map(([, rTurns]) => {
    const rDur = totalDuration(rTurns);
    return hypTurns.map(([, hTurns], h) => {
      const inter = intersectionDuration(rTurns, hTurns);
      return inter / (rDur + hypDur[h] - inter);
    });
  });
  const perRef = refTurns.map(() => 1);
  for (const [r, h] of maxWeightAssignment(jaccard)) perRef[r] = Math.max(0, 1 - jaccard[r][h]);
  const perSpeaker = Object.fromEntries(refTurns.map(([name], r) => [name, perRef[r]])) as Record<
    string,
    number
  >;
  const jer = perRef.reduce((a, b) => a + b, 0) / perRef.length;
  return { jer, perSpeaker };
}

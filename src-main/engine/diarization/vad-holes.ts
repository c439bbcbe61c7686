/**
 * Speech the VAD hears that no speaker turn of the channel covers (issue 13's "EN2001b-like
 * holes": the segmentation model finds no active local speaker where silero-vad finds speech).
 * Such a hole is either left unassigned (missed speech in DER terms) or given to the speaker of the
 * nearest turn in time; bench/diar-cv.ts decides which by leave-one-source-out CV.
 */
import type { ClusterTurn } from './reconstruct.ts';

/** Options of {@link fillVadHoles}. */
export interface VadHoleOptions {
  /** A hole goes to the nearest turn's speaker only when that turn is at most this far, seconds (≥ 0). */
  maxGapS: number;
  /** Holes shorter than this stay unassigned, seconds (default 0.3). */
  minHoleS?: number;
}

/**
 * Adds a turn for every stretch of VAD speech that no turn covers, labelled with the speaker of
 * the nearest turn (gap between the hole and the turn, 0 when they touch) when it is at most
 * `maxGapS` away; ties go to the earlier turn.
 * @param turns the channel's turns (seconds, cluster index), in any order; not modified.
 * @param vad VAD speech regions of the channel, seconds, sorted and non-overlapping.
 * @returns the turns plus the filled holes, sorted by start.
 * @throws Error when `maxGapS` is negative or not a number.
 */
export function fillVadHoles(
  turns: ClusterTurn[],
  vad: { start: number; end: number }[],
  opts: VadHoleOptions,
): ClusterTurn[] {
  if (!(opts.maxGapS >= 0)) throw new Error(`VAD hole gap must be ≥ 0 s, got ${opts.maxGapS}`);
  const minHole = opts.minHoleS ?? 0.3;
  const sorted = [...turns].sort((a, b) => a.start - b.start);
  // covered = union of the turns
  const covered: { start: number; end: number }[] = [];
  for (const t of sorted) {
    const last = covered[covered.length - 1];
    if (last && t.start <= last.end) last.end = Math.max(last.end, t.end);
    else covered.push({ start: t.start, end: t.end });
  }
  const out = [...sorted];
  let ci = 0;
  for (const r of vad) {
    // the parts of r outside the covered intervals
    const holes: { start: number; end: number }[] = [];
    let pos = r.start;
    while (ci < covered.length && covered[ci].end <= r.start) ci++;
    for (let k = ci; k < covered.length && covered[k].start < r.end; k++) {
      if (covered[k].start > pos) holes.push({ start: pos, end: covered[k].start });
      pos = Math.max(pos, covered[k].end);
    }
    if (pos < r.end) holes.push({ start: pos, end: r.end });
    for (const h of holes) {
      if (h.end - h.start < minHole) continue;
      let best: ClusterTurn | null = null;
      let bestGap = Infinity;
      for (const t of sorted) {
        const gap = Math.max(0, t.start - h.end, h.start - t.end);
        if (gap < bestGap) {
          bestGap = gap;
          best = t;
        }
      }
      if (best && bestGap <= opts.maxGapS) out.push({ start: h.start, end: h.end, cluster: best.cluster });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Speaker tracks: links the local speakers of consecutive, overlapping segmentation windows when
 * their activity agrees on the shared frames. A window step of 1 s leaves 9 s of overlap, over
 * which the segmentation model sees the same speaker in both windows; linking those local
 * speakers (the "overlap-based matching" used by online diarization, cf. diart's
 * `OverlapAwareSpeakerEmbedding` and pyannote's permutation-invariant stitching) turns many
 * short, noisy per-window embeddings into one track per stretch of speech, whose averaged
 * embedding is far more reliable for clustering.
 */
import { SEG_FRAMES, SEG_SPEAKERS, globalFrame } from './segmentation.ts';

/** A window's activity and the embedding item of each local speaker (−1 = none). */
export interface TrackWindow {
  startSample: number;
  activity: Uint8Array;
  items: Int32Array;
}

/** Options of {@link buildTracks}. */
export interface TrackOptions {
  /** Minimum intersection-over-union of activity on the shared frames, (0, 1]. */
  minIou: number;
  /** Minimum co-active shared frames (16.9 ms each). */
  minShared: number;
}

export const DEFAULT_TRACKS: TrackOptions = { minIou: 0.5, minShared: 30 };

/**
 * Groups embedding items into tracks.
 * @param windows windows in time order.
 * @param nItems number of embedding items.
 * @returns track id per item (0..T−1); two items of one window never share a track.
 */
export function buildTracks(
  windows: TrackWindow[],
  nItems: number,
  opts: TrackOptions = DEFAULT_TRACKS,
): Int32Array {
  const parent = Int32Array.from({ length: nItems }, (_, i) => i);
  const windowsOf = new Map<number, Set<number>>();
  windows.forEach((w, wi) =>
    w.items.forEach((it) => {
      if (it >= 0) windowsOf.set(it, new Set([wi]));
    }),
  );
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const union = (a: number, b: number): void => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return;
    let wa = windowsOf.get(ra)!;
    let wb = windowsOf.get(rb)!;
    if (wa.size < wb.size) {
      [ra, rb] = [rb, ra];
      [wa, wb] = [wb, wa];
    }
    for (const w of wb) if (wa.has(w)) return; // would put two speakers of one window together
    for (const w of wb) wa.add(w);
    parent[rb] = ra;
    windowsOf.delete(rb);
  };
  for (let w = 0; w + 1 < windows.length; w++) {
    const A = windows[w];
    const B = windows[w + 1];
    const d = globalFrame(B.startSample, 0) - globalFrame(A.startSample, 0);
    if (d <= 0 || d >= SEG_FRAMES) continue;
    const pairs: { a: number; b: number; iou: number }[] = [];
    for (let a = 0; a < SEG_SPEAKERS; a++) {
      if (A.items[a] < 0) continue;
      for (let b = 0; b < SEG_SPEAKERS; b++) {
        if (B.items[b] < 0) continue;
        let inter = 0;
        let uni = 0;
        for (let i = 0; i + d < SEG_FRAMES; i++) {
          const x = A.activity[(i + d) * SEG_SPEAKERS + a];
          const y = B.activity[i * SEG_SPEAKERS + b];
          inter += x & y;
          uni += x | y;
        }
        if (inter >= opts.minShared && inter / uni >= opts.minIou) pairs.push({ a, b, iou: inter / uni });
      }
    }
    pairs.sort((p, q) => q.iou - p.iou);
    const usedA = new Set<number>();
    const usedB = new Set<number>();
    for (const p of pairs) {
      if (usedA.has(p.a) || usedB.has(p.b)) continue;
      usedA.add(p.a);
      usedB.add(p.b);
      union(A.items[p.a], B.items[p.b]);
    }
  }
  const ids = new Map<number, number>();
  const out = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    out[i] = ids.get(r)!;
  }
  return out;
}

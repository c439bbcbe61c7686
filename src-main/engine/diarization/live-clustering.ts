/**
 * Online speaker clustering for streaming diarization: each 10 s window's local speakers (from
 * the segmentation model) are linked to global speakers by their embeddings.
 *
 * Design after diart's incremental clustering (Coria et al., "Overlap-aware low-latency online
 * speaker diarization based on end-to-end local segmentation", ASRU 2021): local speakers of one
 * window go to distinct global speakers (constrained assignment maximising total cosine
 * similarity); a local speaker farther than `deltaNew` (cosine distance) from every free centroid
 * starts a new global speaker when it spoke long enough in the window (`minNewFrames`), otherwise
 * it is left unassigned; centroids are updated only from local speakers with enough speech
 * (`rhoUpdate`). Beyond diart, two global speakers that never spoke in the same window and whose
 * centroids come closer than `mergeDelta` are merged late (the younger into the older).
 *
 * Embedding normalisation (`center`): a running mean of every embedding seen is subtracted
 * before scoring — the causal analogue of the file pipeline's centring on the file mean.
 */
import { type EmbeddingNormalization, l2normalize } from './clustering.ts';

/** Options of {@link OnlineClustering}. */
export interface OnlineClusteringOptions {
  /** Cosine distance above which a local speaker is a new speaker, in (0, 2). */
  deltaNew: number;
  /** Cosine distance under which two global speakers are merged, < deltaNew. */
  mergeDelta: number;
  /** Active segmentation frames (16.9 ms) a local speaker needs to start a new speaker. */
  minNewFrames: number;
  /** Active frames a local speaker needs to update its global centroid. */
  rhoUpdate: number;
  /** At most this many global speakers (later ones go to the nearest). */
  maxSpeakers: number;
  normalization: EmbeddingNormalization;
}

/** One local speaker of a window, as input to {@link OnlineClustering.assign}. */
export interface LocalSpeaker {
  /** Raw embedding, or null when the speaker had too little clean speech for one. */
  embedding: Float32Array | null;
  /** Active frames in the window. */
  activeFrames: number;
}

/** A late merge: `from` was merged into `into`. */
export interface SpeakerMerge {
  from: number;
  into: number;
}

interface Centroid {
  sum: Float64Array;
  count: number;
  alive: boolean;
}

/** All injective assignments of m items into k targets (m ≤ 3). */
function* injections(m: number, k: number, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === m) {
    yield prefix;
    return;
  }
  for (let t = 0; t < k; t++) if (!prefix.includes(t)) yield* injections(m, k, [...prefix, t]);
}

/** Incremental clustering state of one channel. */
export class OnlineClustering {
  private readonly centroids: Centroid[] = [];
  private mean: Float64Array | null = null;
  private seen = 0;
  /** Pairs of global speakers that were active in the same window ("a*K+b", a < b). */
  private readonly together = new Set<string>();

  constructor(readonly opts: OnlineClusteringOptions) {}

  /** Number of global speakers created so far (merged ones included). */
  get created(): number {
    return this.centroids.length;
  }

  /**
   * Links the local speakers of one window to global speakers.
   * @returns per local speaker, the global speaker index or −1 (not assigned), and the ids of
   *   speakers created by this call.
   */
  assign(locals: LocalSpeaker[]): { global: number[]; created: number[] } {
    const global = locals.map(() => -1);
    const created: number[] = [];
    const cand = locals
      .map((l, i) => ({ i, l }))
      .filter((c) => c.l.embedding !== null && c.l.embedding.every(Number.isFinite));
    for (const c of cand) this.observe(c.l.embedding!);
    const alive = this.centroids.map((c, k) => ({ c, k })).filter((x) => x.c.alive);
    const vecs = cand.map((c) => this.normalized(c.l.embedding!));
    const cents = alive.map((a) => this.centroidVector(a.k));
    // constrained assignment: distinct centroids, maximal total similarity
    const m = Math.min(cand.length, cents.length);
    let best: number[] = [];
    if (m > 0) {
      const sims = vecs.map((v) => cents.map((c) => dot(v, c)));
      // try every subset of candidates of size m (cand.length ≤ 3) with injective targets
      let bestS = -Infinity;
      const pickSets = subsets(cand.length, m);
      for (const set of pickSets) {
        for (const perm of injections(m, cents.length)) {
          const s = perm.reduce((acc, t, j) => acc + sims[set[j]][t], 0);
          if (s > bestS) {
            bestS = s;
            best = new Array<number>(cand.length).fill(-1);
            set.forEach((ci, j) => (best[ci] = perm[j]));
          }
        }
      }
    }
    cand.forEach((c, j) => {
      const t = best[j] ?? -1;
      const dist = t >= 0 ? 1 - dot(vecs[j], cents[t]) : Infinity;
      if (t >= 0 && dist <= this.opts.deltaNew) {
        global[c.i] = alive[t].k;
      } else if (c.l.activeFrames >= this.opts.minNewFrames && this.liveCount() < this.opts.maxSpeakers) {
        const k = this.centroids.length;
        this.centroids.push({ sum: new Float64Array(c.l.embedding!.length), count: 0, alive: true });
        global[c.i] = k;
        created.push(k);
        this.update(k, c.l.embedding!);
      } else if (t >= 0 && this.liveCount() >= this.opts.maxSpeakers) {
        global[c.i] = alive[t].k;
      }
    });
    cand.forEach((c) => {
      const k = global[c.i];
      if (k >= 0 && !created.includes(k) && c.l.activeFrames >= this.opts.rhoUpdate)
        this.update(k, c.l.embedding!);
    });
    const ks = global.filter((k) => k >= 0).sort((a, b) => a - b);
    for (let a = 0; a < ks.length; a++)
      for (let b = a + 1; b < ks.length; b++) this.together.add(`${ks[a]},${ks[b]}`);
    return { global, created };
  }

  /**
   * Merges global speakers whose centroids came closer than `mergeDelta` and that never spoke
   * in the same window. @returns the merges done (the younger `from` into the older `into`).
   */
  mergeClose(): SpeakerMerge[] {
    const merges: SpeakerMerge[] = [];
    for (;;) {
      const alive = this.centroids.map((c, k) => ({ c, k })).filter((x) => x.c.alive && x.c.count > 0);
      let bestPair: [number, number] | null = null;
      let bestD = this.opts.mergeDelta;
      for (let i = 0; i < alive.length; i++) {
        for (let j = i + 1; j < alive.length; j++) {
          const a = alive[i].k;
          const b = alive[j].k;
          if (this.together.has(`${a},${b}`)) continue;
          const d = 1 - dot(this.centroidVector(a), this.centroidVector(b));
          if (d < bestD) {
            bestD = d;
            bestPair = [a, b];
          }
        }
      }
      if (!bestPair) return merges;
      const [into, from] = bestPair;
      const ci = this.centroids[into];
      const cf = this.centroids[from];
      for (let i = 0; i < ci.sum.length; i++) ci.sum[i] += cf.sum[i];
      ci.count += cf.count;
      cf.alive = false;
      for (const key of [...this.together]) {
        const [a, b] = key.split(',').map(Number);
        if (a === from || b === from) {
          const o = a === from ? b : a;
          if (o !== into) this.together.add(o < into ? `${o},${into}` : `${into},${o}`);
        }
      }
      merges.push({ from, into });
    }
  }

  /** L2-normalised centroid of a global speaker in the scoring space. */
  centroidVector(k: number): Float32Array {
    const c = this.centroids[k];
    const v = Float32Array.from(c.sum, (x) => x / Math.max(c.count, 1));
    return this.normalized(v);
  }

  private liveCount(): number {
    return this.centroids.filter((c) => c.alive).length;
  }

  private update(k: number, raw: Float32Array): void {
    const c = this.centroids[k];
    for (let i = 0; i < raw.length; i++) c.sum[i] += raw[i];
    c.count++;
  }

  private observe(raw: Float32Array): void {
    if (this.opts.normalization === 'none') return;
    if (!this.mean) this.mean = new Float64Array(raw.length);
    this.seen++;
    for (let i = 0; i < raw.length; i++) this.mean[i] += (raw[i] - this.mean[i]) / this.seen;
  }

  /** Centred (running mean) and L2-normalised copy. */
  private normalized(raw: Float32Array): Float32Array {
    const out = new Float32Array(raw.length);
    const mu = this.opts.normalization !== 'none' && this.seen >= 5 ? this.mean : null;
    for (let i = 0; i < raw.length; i++) {
      out[i] = raw[i] - (mu ? mu[i] : 0);
    }
    return l2normalize(out, out);
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** All index subsets of {0..n−1} of size m, in lexicographic order. */
function subsets(n: number, m: number, from = 0, prefix: number[] = []): number[][] {
  if (prefix.length === m) return [prefix];
  const out: number[][] = [];
  for (let i = from; i < n; i++) out.push(...subsets(n, m, i + 1, [...prefix, i]));
  return out;
}

/**
 * Constrained agglomerative clustering of (window, local speaker) embeddings.
 *
 * Average linkage on cosine distance (as in pyannote's speaker-diarization pipelines, which use
 * scipy's hierarchical clustering), computed with the nearest-neighbour-chain algorithm
 * (Murtagh 1983; Müllner, "Modern hierarchical, agglomerative clustering algorithms", 2011) in
 * O(N²) time and memory. Cannot-link constraints (two local speakers of one window are different
 * people) are encoded as infinite distances; average linkage keeps them infinite after merges.
 */

/** Options of {@link clusterEmbeddings}. */
export interface ClusteringOptions {
  /** Cosine-distance threshold at which merging stops, in [0, 2]. */
  threshold: number;
  numClusters?: number;
  minClusters?: number;
  maxClusters?: number;
  /** Clusters with fewer members than this are folded into the nearest large cluster. */
  minClusterSize: number;
  /** At most this many embeddings enter the O(N²) step; the rest are assigned to centroids. */
  maxAhcItems: number;
}

export const DEFAULT_CLUSTERING: Omit<ClusteringOptions, 'threshold'> = {
  minClusterSize: 3,
  maxAhcItems: 2500,
};

/** One embedding of a local speaker in a window. */
export interface EmbeddingItem {
  window: number;
  local: number;
  vector: Float32Array;
  /** Whether the item is reliable enough to shape the clusters (others are only assigned). */
  train?: boolean;
}

/**
 * The engine's one L2 normalisation (diarization, online clustering, voiceprints, score
 * normalisation): `out[i] = v[i] / ‖v‖₂`, the sum of squares accumulated in float64. A zero vector
 * stays zero.
 * @param v vector of any length.
 * @param out where to write, length `v.length`: default a new array; pass `v` itself (a
 *   Float32Array) to normalise in place.
 * @returns `out`.
 * @throws RangeError when `out` is shorter or longer than `v`.
 */
export function l2normalize(
  v: ArrayLike<number>,
  out: Float32Array = new Float32Array(v.length),
): Float32Array {
  if (out.length !== v.length)
    throw new RangeError(`l2normalize: out has ${out.length} values, v ${v.length}`);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  else if (out !== v) for (let i = 0; i < v.length; i++) out[i] = v[i];
  return out;
}

/** Dot product (cosine similarity for L2-normalised vectors). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** One merge of the dendrogram: clusters `a` and `b` at distance `distance`. */
interface Merge {
  a: number;
  b: number;
  distance: number;
}

/**
 * Average-linkage AHC by nearest-neighbour chain on a dense distance matrix.
 * @param dist symmetric [n, n] distances (Infinity = cannot link), modified in place.
 * @returns the n − 1 merges (fewer when constraints block), in chain order (not sorted).
 */
export function averageLinkage(dist: Float32Array, n: number): Merge[] {
  const size = new Int32Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const merges: Merge[] = [];
  const chain: number[] = [];
  let remaining = n;
  while (remaining > 1) {
    if (chain.length === 0) {
      let start = -1;
      for (let i = 0; i < n; i++)
        if (active[i]) {
          start = i;
          break;
        }
      chain.push(start);
    }
    const a = chain[chain.length - 1];
    const prev = chain.length > 1 ? chain[chain.length - 2] : -1;
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < n; j++) {
      if (!active[j] || j === a) continue;
      const d = dist[a * n + j];
      if (d < bestD || (d === bestD && j === prev)) {
        bestD = d;
        best = j;
      }
    }
    if (best < 0 || bestD === Infinity) {
      // a cannot link with anything left: retire it from the chain search
      active[a] = 0;
      remaining--;
      chain.length = 0;
      continue;
    }
    if (best === prev) {
      chain.pop();
      chain.pop();
      merges.push({ a: Math.min(a, best), b: Math.max(a, best), distance: bestD });
      const keep = Math.min(a, best);
      const gone = Math.max(a, best);
      const na = size[keep];
      const nb = size[gone];
      for (let k = 0; k < n; k++) {
        if (!active[k] || k === keep || k === gone) continue;
        const dk = dist[keep * n + k];
        const dg = dist[gone * n + k];
        const d = dk === Infinity || dg === Infinity ? Infinity : (na * dk + nb * dg) / (na + nb);
        dist[keep * n + k] = d;
        dist[k * n + keep] = d;
      }
      size[keep] = na + nb;
      active[gone] = 0;
      remaining--;
    } else {
      chain.push(best);
    }
  }
  return merges;
}

/** Union-find replay of merges sorted by distance, stopping by threshold or cluster count. */
function cutDendrogram(n: number, merges: Merge[], opts: ClusteringOptions): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const sorted = [...merges].sort((p, q) => p.distance - q.distance);
  let clusters = n;
  const target = opts.numClusters;
  const minC = target ?? opts.minClusters ?? 1;
  const maxC = target ?? opts.maxClusters ?? Infinity;
  for (const m of sorted) {
    if (clusters <= minC) break;
    if (m.distance > opts.threshold && clusters <= maxC) break;
    // the chain's cluster ids are representatives of the sets merged so far
    const ra = find(m.a);
    const rb = find(m.b);
    if (ra === rb) continue;
    parent[rb] = ra;
    clusters--;
  }
  const labels = new Int32Array(n);
  const ids = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (!ids.has(r)) ids.set(r, ids.size);
    labels[i] = ids.get(r)!;
  }
  return labels;
}

/** Result of {@link clusterEmbeddings}. */
export interface ClusteringResult {
  /** Cluster index per item, 0..k−1. */
  labels: Int32Array;
  /** L2-normalised centroid per cluster. */
  centroids: Float32Array[];
}

/** How embeddings are normalised before cosine scoring. */
export type EmbeddingNormalization = 'none' | 'center' | 'zscore';

/**
 * Normalises copies of the vectors: `center` subtracts the mean vector of the set, `zscore` also
 * divides each dimension by its standard deviation over the set, `none` does neither; all are
 * then L2-normalised.
 */
export function normalizeEmbeddings(vectors: Float32Array[], mode: EmbeddingNormalization): Float32Array[] {
  if (!vectors.length) return [];
  const d = vectors[0].length;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d).fill(1);
  if (mode !== 'none') {
    for (const v of vectors) for (let i = 0; i < d; i++) mean[i] += v[i];
    for (let i = 0; i < d; i++) mean[i] /= vectors.length;
  }
  if (mode === 'zscore' && vectors.length > 1) {
    sd.fill(0);
    for (const v of vectors) for (let i = 0; i < d; i++) sd[i] += (v[i] - mean[i]) ** 2;
    for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i] / vectors.length) || 1;
  }
  return vectors.map((v) => {
    const x = Float32Array.from(v, (y, i) => (y - mean[i]) / sd[i]);
    return l2normalize(x, x);
  });
}

/** All permutations assigning `m` items to distinct targets among `k` (m ≤ k ≤ small). */
function* injections(m: number, k: number, prefix: number[] = []): Generator<number[]> {
  if (prefix.length === m) {
    yield prefix;
    return;
  }
  for (let t = 0; t < k; t++) if (!prefix.includes(t)) yield* injections(m, k, [...prefix, t]);
}

/** A unit of clustering: one item, or a track of items (mean vector, windows it spans). */
interface Unit {
  vector: Float32Array;
  windows: Set<number>;
  members: number[];
  train: boolean;
}

function unitsOf(items: EmbeddingItem[], groups?: Int32Array): Unit[] {
  if (!groups) {
    return items.map((it, i) => ({
      vector: it.vector,
      windows: new Set([it.window]),
      members: [i],
      train: it.train !== false,
    }));
  }
  const byGroup = new Map<number, Unit>();
  items.forEach((it, i) => {
    const g = groups[i];
    let u = byGroup.get(g);
    if (!u) {
      u = { vector: new Float32Array(it.vector.length), windows: new Set(), members: [], train: false };
      byGroup.set(g, u);
    }
    for (let j = 0; j < it.vector.length; j++) u.vector[j] += it.vector[j];
    u.windows.add(it.window);
    u.members.push(i);
    u.train ||= it.train !== false;
  });
  const units = [...byGroup.values()];
  for (const u of units) l2normalize(u.vector, u.vector);
  return units;
}

const shareWindow = (a: Unit, b: Unit): boolean => {
  const [small, big] = a.windows.size < b.windows.size ? [a, b] : [b, a];
  for (const w of small.windows) if (big.windows.has(w)) return true;
  return false;
};

/**
 * Clusters L2-normalised embeddings with cannot-link constraints inside a window.
 * 1. Items are grouped into units (single items, or the tracks given by `groups`, whose vector is
 *    the normalised mean of their members);
 * 2. AHC (average linkage, cosine distance) on up to `maxAhcItems` training units (uniform
 *    subsample); units that share a window cannot link;
 * 3. clusters with fewer than `minClusterSize` member items do not become centroids (unless no
 *    cluster is that large) and their units are reassigned to the nearest large centroid;
 * 4. without groups, every item is then assigned to a centroid, the local speakers of one window
 *    to distinct clusters maximising total cosine similarity (pyannote's constrained assignment).
 * @param items embeddings, already centred/normalised as the caller wants.
 * @param groups optional track id per item (see tracks.ts).
 */
export function clusterEmbeddings(
  items: EmbeddingItem[],
  opts: ClusteringOptions,
  groups?: Int32Array,
): ClusteringResult {
  const n = items.length;
  if (n === 0) return { labels: new Int32Array(0), centroids: [] };
  const units = unitsOf(items, groups);
  let pool = units.filter((u) => u.train);
  if (pool.length === 0) pool = units;
  const stride = Math.max(1, Math.ceil(pool.length / opts.maxAhcItems));
  const sub = pool.filter((_, i) => i % stride === 0);
  const m = sub.length;
  let subLabels: Int32Array;
  if (m === 1) {
    subLabels = Int32Array.of(0);
  } else {
    const dist = new Float32Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        const d = shareWindow(sub[i], sub[j]) ? Infinity : 1 - dot(sub[i].vector, sub[j].vector);
        dist[i * m + j] = d;
        dist[j * m + i] = d;
      }
    }
    subLabels = cutDendrogram(m, averageLinkage(dist, m), opts);
  }
  const k = Math.max(...subLabels) + 1;
  const counts = new Int32Array(k);
  subLabels.forEach((l, i) => (counts[l] += sub[i].members.length));
  const minSize = Math.min(opts.minClusterSize, Math.max(...counts));
  let large = [...counts.keys()].filter((c) => counts[c] >= minSize);
  if (opts.numClusters !== undefined) {
    large = [...counts.keys()].sort((p, q) => counts[q] - counts[p]).slice(0, opts.numClusters);
  }
  const remap = new Int32Array(k).fill(-1);
  large.forEach((c, i) => (remap[c] = i));
  const d = items[0].vector.length;
  const centroids = large.map(() => new Float32Array(d));
  sub.forEach((u, i) => {
    const c = remap[subLabels[i]];
    if (c < 0) return;
    for (let j = 0; j < d; j++) centroids[c][j] += u.vector[j] * u.members.length;
  });
  for (const c of centroids) l2normalize(c, c);
  if (!groups) return { labels: assignConstrained(items, centroids), centroids };
  const labels = new Int32Array(n).fill(-1);
  const subIndex = new Map(sub.map((u, i) => [u, i]));
  const unitLabel = new Map<Unit, number>();
  for (const u of units) {
    const si = subIndex.get(u);
    if (si !== undefined && remap[subLabels[si]] >= 0) unitLabel.set(u, remap[subLabels[si]]);
  }
  // the remaining units go to the most similar cluster not already used by a unit that shares a
  // window with them (cannot-link), or to the most similar one when every cluster is taken
  for (const u of units) {
    if (unitLabel.has(u)) continue;
    const taken = new Set<number>();
    for (const [o, c] of unitLabel) if (shareWindow(u, o)) taken.add(c);
    const ranked = centroids.map((cv, ci) => ({ ci, s: dot(u.vector, cv) })).sort((a, b) => b.s - a.s);
    unitLabel.set(u, (ranked.find((r) => !taken.has(r.ci)) ?? ranked[0]).ci);
  }
  for (const [u, c] of unitLabel) for (const i of u.members) labels[i] = c;
  return { labels, centroids };
}

/**
 * Assigns each item to a centroid; items of the same window get distinct centroids when there
 * are enough centroids (maximum total similarity, brute force over ≤ 3 local speakers).
 */
export function assignConstrained(items: EmbeddingItem[], centroids: Float32Array[]): Int32Array {
  const labels = new Int32Array(items.length).fill(-1);
  const byWindow = new Map<number, number[]>();
  items.forEach((it, i) => {
    const list = byWindow.get(it.window) ?? [];
    list.push(i);
    byWindow.set(it.window, list);
  });
  const k = centroids.length;
  for (const idx of byWindow.values()) {
    const sims = idx.map((i) => centroids.map((c) => dot(items[i].vector, c)));
    if (idx.length <= k) {
      let best: number[] = [];
      let bestS = -Infinity;
      for (const perm of injections(idx.length, k)) {
        const s = perm.reduce((acc, t, j) => acc + sims[j][t], 0);
        if (s > bestS) {
          bestS = s;
          best = perm;
        }
      }
      best.forEach((t, j) => (labels[idx[j]] = t));
    } else {
      idx.forEach((i, j) => (labels[i] = sims[j].indexOf(Math.max(...sims[j]))));
    }
  }
  return labels;
}

import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../test-support.ts';
import {
  type ClusteringOptions,
  DEFAULT_CLUSTERING,
  type EmbeddingItem,
  assignConstrained,
  averageLinkage,
  clusterEmbeddings,
  dot,
  l2normalize,
  normalizeEmbeddings,
} from './clustering.ts';

const DIM = 16;
const rnd = seededRandom(7);
/** Standard normal (Box–Muller) from the seeded generator. */
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

/** A unit vector along axis `axis` plus Gaussian noise of std `noise`, L2-normalised. */
function around(axis: number, noise = 0.1): Float32Array {
  const v = Float32Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0) + noise * gauss());
  return l2normalize(v);
}

const OPTS: ClusteringOptions = { ...DEFAULT_CLUSTERING, threshold: 0.5 };

/** Symmetric [n, n] matrix from a distance function. */
function matrix(n: number, d: (i: number, j: number) => number): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = i === j ? 0 : d(i, j);
  return m;
}

/** Items of each window get distinct labels (when there are at least as many clusters). */
function expectWindowsDistinct(items: EmbeddingItem[], labels: Int32Array): void {
  const byWindow = new Map<number, number[]>();
  items.forEach((it, i) => byWindow.set(it.window, [...(byWindow.get(it.window) ?? []), labels[i]]));
  for (const [w, ls] of byWindow)
    expect(new Set(ls).size, `window ${w}: labels ${ls.join(',')}`).toBe(ls.length);
}

describe("l2normalize (the engine's one L2 normalisation, issue 17)", () => {
  it('returns a unit-norm copy by default and leaves the input alone', () => {
    const v = [3, 4];
    const u = l2normalize(v);
    expect(Array.from(u)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(v).toEqual([3, 4]);
  });

  it('normalises in place when out is the input, keeps a zero vector zero, refuses a wrong length', () => {
    const v = Float32Array.from([0, 2, 0]);
    expect(l2normalize(v, v)).toBe(v);
    expect(Array.from(v)).toEqual([0, 1, 0]);
    expect(Array.from(l2normalize(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
    expect(() => l2normalize([1, 2], new Float32Array(3))).toThrow(RangeError);
  });
});

describe('averageLinkage', () => {
  it('merges by average distance (points 0, 1, 5 on a line)', () => {
    const x = [0, 1, 5];
    const merges = averageLinkage(
      matrix(3, (i, j) => Math.abs(x[i] - x[j])),
      3,
    );
    const sorted = [...merges].sort((a, b) => a.distance - b.distance);
    expect(sorted).toHaveLength(2);
    expect(sorted[0]).toEqual({ a: 0, b: 1, distance: 1 });
    // average linkage: (|0 − 5| + |1 − 5|) / 2 = 4.5 (single linkage would give 4, complete 5)
    expect(sorted[1].distance).toBeCloseTo(4.5, 6);
  });

  it('weights the average by cluster sizes', () => {
    // {0,1,2} at 0, 0.1, 0.2 merge first; 3 at 10: distance (10 + 9.9 + 9.8) / 3 = 9.9
    const x = [0, 0.1, 0.2, 10];
    const merges = averageLinkage(
      matrix(4, (i, j) => Math.abs(x[i] - x[j])),
      4,
    );
    const last = [...merges].sort((a, b) => a.distance - b.distance)[2];
    expect(last.distance).toBeCloseTo(9.9, 4);
  });

  it('never merges across an infinite (cannot-link) distance', () => {
    // 0 and 1 cannot link; 2 is close to both: it joins one of them, then the rest is blocked
    const d = matrix(3, (i, j) => (i + j === 1 ? Infinity : 0.1));
    const merges = averageLinkage(d, 3);
    expect(merges).toHaveLength(1);
    expect(merges[0].distance).toBeCloseTo(0.1, 6);
  });
});

describe('clusterEmbeddings', () => {
  it('two well-separated groups → 2 clusters, one per group', () => {
    const items: EmbeddingItem[] = [];
    for (let w = 0; w < 20; w++) {
      items.push({ window: w, local: 0, vector: around(0) });
      items.push({ window: w, local: 1, vector: around(1) });
    }
    const { labels, centroids } = clusterEmbeddings(items, OPTS);
    expect(centroids).toHaveLength(2);
    const a = labels[0];
    const b = labels[1];
    expect(a).not.toBe(b);
    items.forEach((it, i) => expect(labels[i]).toBe(it.local === 0 ? a : b));
    // centroids are unit vectors pointing at their group's axis
    for (const c of centroids) expect(dot(c, c)).toBeCloseTo(1, 5);
    expect(centroids[a][0]).toBeGreaterThan(0.9);
    expect(centroids[b][1]).toBeGreaterThan(0.9);
  });

  it('one group → 1 cluster', () => {
    const items = Array.from({ length: 15 }, (_, w) => ({ window: w, local: 0, vector: around(3) }));
    const { labels, centroids } = clusterEmbeddings(items, OPTS);
    expect(centroids).toHaveLength(1);
    expect(new Set(labels)).toEqual(new Set([0]));
  });

  it('cannot-link: two items of one window never share a cluster when enough clusters exist', () => {
    const items: EmbeddingItem[] = [];
    for (let w = 0; w < 12; w++) {
      items.push({ window: w, local: 0, vector: around(0) });
      items.push({ window: w, local: 1, vector: around(1) });
    }
    // windows where both local speakers look like group 0 (e.g. a segmentation split)
    for (let w = 12; w < 16; w++) {
      items.push({ window: w, local: 0, vector: around(0) });
      items.push({ window: w, local: 1, vector: around(0) });
    }
    const { labels, centroids } = clusterEmbeddings(items, OPTS);
    // the split group-0 items cannot link with each other, so AHC may keep them apart (3 clusters)
    expect(centroids.length).toBeGreaterThanOrEqual(2);
    expectWindowsDistinct(items, labels);
    // also when the count is forced to 2, the constraint holds in the final assignment
    expectWindowsDistinct(items, clusterEmbeddings(items, { ...OPTS, numClusters: 2 }).labels);
  });

  it('cannot-link also holds with track groups, when a small track is folded into a large cluster', () => {
    // tracks A (axis 0) and B (axis 1) span windows 0–9, D (axis 2) spans windows 10–19; the
    // one-item track C (axis 0, like A) sits in window 3 beside A and B. C's cluster is too small
    // (minClusterSize 3), so it must go to a cluster that window 3 does not use yet: D's.
    const items: EmbeddingItem[] = [];
    const groups: number[] = [];
    const add = (window: number, local: number, axis: number, track: number): void => {
      items.push({ window, local, vector: around(axis, 0.05) });
      groups.push(track);
    };
    for (let w = 0; w < 10; w++) {
      add(w, 0, 0, 0);
      add(w, 1, 1, 1);
      add(10 + w, 0, 2, 2);
    }
    add(3, 2, 0, 3);
    const { labels, centroids } = clusterEmbeddings(items, OPTS, Int32Array.from(groups));
    expect(centroids).toHaveLength(3);
    expectWindowsDistinct(items, labels);
  });

  it('a window with more local speakers than clusters falls back to the nearest centroid', () => {
    const c = [around(0, 0), around(1, 0)];
    const items: EmbeddingItem[] = [0, 1, 0].map((axis, local) => ({
      window: 0,
      local,
      vector: around(axis),
    }));
    expect(Array.from(assignConstrained(items, c))).toEqual([0, 1, 0]);
  });

  it('numClusters forces the count', () => {
    // three groups, one item per window (no constraints)
    const items = Array.from({ length: 30 }, (_, i) => ({ window: i, local: 0, vector: around(i % 3) }));
    for (const k of [1, 2, 3, 4]) {
      const { labels, centroids } = clusterEmbeddings(items, { ...OPTS, numClusters: k });
      expect(centroids, `numClusters ${k}`).toHaveLength(k);
      expect(Math.max(...labels)).toBeLessThan(k);
      expect(Math.min(...labels)).toBeGreaterThanOrEqual(0);
    }
    // without it, the threshold finds the three groups
    expect(clusterEmbeddings(items, OPTS).centroids).toHaveLength(3);
  });

  it('min/max clusters bound the threshold cut', () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ window: i, local: 0, vector: around(i % 3) }));
    expect(clusterEmbeddings(items, { ...OPTS, maxClusters: 2 }).centroids).toHaveLength(2);
    const close = Array.from({ length: 20 }, (_, i) => ({
      window: i,
      local: 0,
      vector: around(i % 2, 0.02),
    }));
    expect(clusterEmbeddings(close, { ...OPTS, threshold: 1.5 }).centroids).toHaveLength(1);
    expect(clusterEmbeddings(close, { ...OPTS, threshold: 1.5, minClusters: 2 }).centroids).toHaveLength(2);
  });

  it('clusters smaller than minClusterSize are folded into large ones', () => {
    const items = [
      ...Array.from({ length: 10 }, (_, i) => ({ window: i, local: 0, vector: around(0) })),
      ...Array.from({ length: 10 }, (_, i) => ({ window: 10 + i, local: 0, vector: around(1) })),
      ...Array.from({ length: 2 }, (_, i) => ({ window: 20 + i, local: 0, vector: around(2) })),
    ];
    const { labels, centroids } = clusterEmbeddings(items, { ...OPTS, minClusterSize: 3 });
    expect(centroids).toHaveLength(2);
    expect(labels.every((l) => l === 0 || l === 1)).toBe(true);
    expect(clusterEmbeddings(items, { ...OPTS, minClusterSize: 2 }).centroids).toHaveLength(3);
  });

  it('items with train = false are assigned but do not shape the clusters', () => {
    const items: EmbeddingItem[] = [
      ...Array.from({ length: 10 }, (_, i) => ({ window: i, local: 0, vector: around(0) })),
      ...Array.from({ length: 10 }, (_, i) => ({
        window: 10 + i,
        local: 0,
        vector: around(2),
        train: false,
      })),
    ];
    const { labels, centroids } = clusterEmbeddings(items, OPTS);
    expect(centroids).toHaveLength(1);
    expect(labels.every((l) => l === 0)).toBe(true);
  });

  it('empty input → no labels, no centroids', () => {
    expect(clusterEmbeddings([], OPTS)).toEqual({ labels: new Int32Array(0), centroids: [] });
  });
});

describe('normalizeEmbeddings', () => {
  const v = [Float32Array.from([4, 1]), Float32Array.from([0, 3])];
  const norm = (x: number[]): number[] => {
    const n = Math.hypot(...x);
    return x.map((e) => e / n);
  };
  const expectVec = (a: Float32Array, b: number[]): void =>
    b.forEach((e, i) => expect(a[i]).toBeCloseTo(e, 6));

  it('none: L2 normalisation only', () => {
    const out = normalizeEmbeddings(v, 'none');
    expectVec(out[0], norm([4, 1]));
    expectVec(out[1], [0, 1]);
  });

  it('center: subtracts the set mean, then L2', () => {
    // mean [2, 2] → [2, −1], [−2, 1]
    const out = normalizeEmbeddings(v, 'center');
    expectVec(out[0], norm([2, -1]));
    expectVec(out[1], norm([-2, 1]));
  });

  it('zscore: also divides each dimension by its standard deviation, then L2', () => {
    // std per dimension [2, 1] → [1, −1], [−1, 1]
    const out = normalizeEmbeddings(v, 'zscore');
    expectVec(out[0], norm([1, -1]));
    expectVec(out[1], norm([-1, 1]));
  });

  it('returns copies and keeps zero vectors at zero', () => {
    const input = [Float32Array.from([3, 4]), new Float32Array(2)];
    const out = normalizeEmbeddings(input, 'none');
    expect(Array.from(input[0])).toEqual([3, 4]);
    expect(out[0]).not.toBe(input[0]);
    expect(Array.from(out[1])).toEqual([0, 0]);
    expect(normalizeEmbeddings([], 'zscore')).toEqual([]);
  });
});

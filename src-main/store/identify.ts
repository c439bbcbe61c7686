/**
 * Open-set speaker identification against the voiceprint library.
 *
 * Scoring: cosine similarity of L2-normalised embeddings. Each voiceprint is represented, per
 * encoder model id+version, by the speech-weighted mean of its L2-normalised embeddings,
 * re-normalised (a centroid; stable with one or many enrollment sources). Embeddings of another
 * model id or version are never compared. Decision (per speaker):
 *  - best ≥ threshold and (no runner-up ≥ threshold or best − runner-up ≥ margin) → `known`;
 *  - best ≥ threshold but a runner-up within the margin is above threshold too → `ambiguous`;
 *  - otherwise → `Unknown N`.
 * Within one call a voiceprint names at most one speaker (greedy by similarity).
 * Thresholds are calibrated on the dev voiceprint protocol (bench/store.ts, README of the PR).
 */
import type { Candidate, Identification } from '../../src-shared/contracts/voiceprints.ts';
import type { Db } from './db.ts';
import { embeddingsOfModel } from './voiceprints.ts';

/** Operating point of one encoder: cosine-similarity threshold and ambiguity margin. */
export interface OperatingPoint {
  threshold: number;
  margin: number;
}

/**
 * Calibrated operating points per embedding model id (dev voiceprint protocol: 5 LibriSpeech
 * speakers, 3 enrollment files each, 35 test files; plus Katie/Steve; see bench/store.ts).
 */
export const OPERATING_POINTS: Record<string, OperatingPoint> = {
  'fbank-stats': { threshold: 0.94, margin: 0.005 },
  callscope_spk_encoder_v1: { threshold: 0.4, margin: 0.05 }, // v1.0.0: EER 0.24 % at 0.377; at 0.4 FAR 0.5 %, FRR 2.9 %
};

/** Used for an encoder not calibrated yet (cosine; conservative for typical speaker encoders). */
export const FALLBACK_OPERATING_POINT: OperatingPoint = { threshold: 0.6, margin: 0.05 };

/** The operating point of an encoder model id. */
export function operatingPointFor(modelId: string): OperatingPoint {
  return OPERATING_POINTS[modelId] ?? FALLBACK_OPERATING_POINT;
}

/** L2-normalised copy (a zero vector stays zero). */
export function l2normalize(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const k = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * k;
  return out;
}

/** Cosine similarity of two vectors of equal length, in [-1, 1] (0 when either is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * In-memory index of the voiceprint centroids of one encoder model: a contiguous
 * [voiceprints, dim] matrix, so one query is a single pass (≈ N·dim multiply-adds).
 */
export class VoiceprintIndex {
  private constructor(
    readonly modelId: string,
    readonly modelVersion: string,
    readonly dim: number,
    readonly ids: number[],
    readonly names: string[],
    private readonly matrix: Float32Array,
  ) {}

  /** Number of voiceprints in the index. */
  get size(): number {
    return this.ids.length;
  }

  /** Builds the index from a list of embeddings (any order; grouped by voiceprint). */
  static fromEmbeddings(
    modelId: string,
    modelVersion: string,
    embeddings: { voiceprintId: number; name: string; vector: Float32Array; speechS: number }[],
  ): VoiceprintIndex {
    const dims = new Set(embeddings.map((e) => e.vector.length));
    if (dims.size > 1) throw new Error(`embeddings of ${modelId} ${modelVersion} have different dimensions`);
    const dim = dims.size ? [...dims][0] : 0;
    const acc = new Map<number, { name: string; sum: Float64Array }>();
    for (const e of embeddings) {
      const entry = acc.get(e.voiceprintId) ?? { name: e.name, sum: new Float64Array(dim) };
      const n = l2normalize(e.vector);
      const w = Math.max(e.speechS, 1);
      for (let i = 0; i < dim; i++) entry.sum[i] += w * n[i];
      acc.set(e.voiceprintId, entry);
    }
    const ids = [...acc.keys()];
    const matrix = new Float32Array(ids.length * dim);
    ids.forEach((id, r) => matrix.set(l2normalize(acc.get(id)!.sum), r * dim));
    return new VoiceprintIndex(
      modelId,
      modelVersion,
      dim,
      ids,
      ids.map((id) => acc.get(id)!.name),
      matrix,
    );
  }

  /** Loads the index of one encoder model id+version from the database. */
  static load(db: Db, modelId: string, modelVersion: string): VoiceprintIndex {
    return VoiceprintIndex.fromEmbeddings(
      modelId,
      modelVersion,
      embeddingsOfModel(db, modelId, modelVersion),
    );
  }

  /**
   * Similarities of a query to every voiceprint.
   * @throws Error when the query dimension differs from the index's (another encoder).
   */
  scores(query: Float32Array): Float32Array {
    if (this.size && query.length !== this.dim)
      throw new Error(`embedding dimension ${query.length} does not match ${this.modelId} (${this.dim})`);
    const q = l2normalize(query);
    const out = new Float32Array(this.size);
    const d = this.dim;
    const m = this.matrix;
    for (let r = 0, o = 0; r < out.length; r++, o += d) {
      let s = 0;
      for (let i = 0; i < d; i++) s += m[o + i] * q[i];
      out[r] = s;
    }
    return out;
  }

  /** The two best candidates (distinct voiceprints) for a query, best first. */
  top2(query: Float32Array): [Candidate | null, Candidate | null] {
    const s = this.scores(query);
    let b = -1;
    let r = -1;
    for (let i = 0; i < s.length; i++) {
      if (b < 0 || s[i] > s[b]) {
        r = b;
        b = i;
      } else if (r < 0 || s[i] > s[r]) r = i;
    }
    const cand = (i: number): Candidate | null =>
      i < 0 ? null : { voiceprintId: this.ids[i], name: this.names[i], similarity: s[i] };
    return [cand(b), cand(r)];
  }
}

/**
 * Identifies the speakers of one call (or a batch of independent queries when `exclusive` is
 * false) against an index.
 * @param queries speaker id → raw embedding (same encoder as the index).
 * @param exclusive a voiceprint names at most one speaker (true for the speakers of one call).
 * @returns speaker id → identification; unknown speakers are numbered `Unknown 1..` in the
 *   order of `queries`.
 */
export function identifySpeakers(
  index: VoiceprintIndex,
  queries: Map<string, Float32Array>,
  op: OperatingPoint = operatingPointFor(index.modelId),
  exclusive = true,
): Map<string, Identification> {
  const raw = new Map<string, [Candidate | null, Candidate | null]>();
  for (const [id, v] of queries) raw.set(id, index.size ? index.top2(v) : [null, null]);
  const decided = new Map<string, Identification>();
  const base = (
    best: Candidate | null,
    runnerUp: Candidate | null,
  ): Omit<Identification, 'status' | 'label'> => ({
    best,
    runnerUp,
    threshold: op.threshold,
    modelId: index.modelId,
  });
  const taken = new Set<number>();
  const order = [...raw.entries()].sort((a, b) => (b[1][0]?.similarity ?? -2) - (a[1][0]?.similarity ?? -2));
  for (const [id, [best, runnerUp]] of order) {
    if (!best || best.similarity < op.threshold || (exclusive && taken.has(best.voiceprintId))) continue;
    const close =
      runnerUp && runnerUp.similarity >= op.threshold && best.similarity - runnerUp.similarity < op.margin;
    if (close) {
      decided.set(id, {
        status: 'ambiguous',
        label: `${best.name} or ${runnerUp.name}?`,
        ...base(best, runnerUp),
      });
    } else {
      decided.set(id, { status: 'known', label: best.name, ...base(best, runnerUp) });
      taken.add(best.voiceprintId);
    }
  }
  const out = new Map<string, Identification>();
  let unknown = 0;
  for (const [id, [best, runnerUp]] of raw) {
    out.set(
      id,
      decided.get(id) ?? { status: 'unknown', label: `Unknown ${++unknown}`, ...base(best, runnerUp) },
    );
  }
  return out;
}

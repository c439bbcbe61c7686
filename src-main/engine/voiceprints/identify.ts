/**
 * Open-set speaker identification against the voiceprint library.
 *
 * Scoring: cosine similarity of L2-normalised embeddings. Each voiceprint is represented, per
 * encoder model id+version, by the speech-weighted mean of its L2-normalised embeddings,
 * re-normalised (a centroid; stable with one or many enrollment sources). Embeddings of another
 * model id or version are never compared. The decision score is the cosine, or, where an impostor
 * cohort ships for the encoder id+version (`models/<id>.cohort.json`, score-norm.ts) and the
 * operating point asks for it, the AS-norm of the cosine (see {@link OPERATING_POINTS}).
 * Decision (per speaker, on the decision score):
 *  - best ≥ threshold and (no runner-up ≥ threshold or best − runner-up ≥ margin) → `known`;
 *  - best ≥ threshold but a runner-up within the margin is above threshold too → `ambiguous`;
 *  - otherwise → `Unknown N`.
 * Within one call a voiceprint names at most one speaker (greedy by score).
 * Thresholds are calibrated on the dev voiceprint protocol (bench/voiceprint-eval.ts).
 */
import type { Candidate, Identification, ScoreKind } from '../../../src-shared/contracts/voiceprints.ts';
import { l2normalize } from '../diarization/clustering.ts';
import { type LogisticCalibration, probabilityOf, shippedCalibration } from './calibration.ts';
import { asNorm, type Cohort, cohortStats, shippedCohort } from './score-norm.ts';
import { round } from '../../../src-shared/math.ts';

/**
 * Operating point of one encoder: threshold and ambiguity margin on the decision score, which
 * score that is (`cosine` when omitted), and, where the encoder is calibrated, the logistic map of
 * the score to P(same speaker) (calibration.ts).
 */
export interface OperatingPoint {
  threshold: number;
  margin: number;
  scoring?: ScoreKind;
  calibration?: LogisticCalibration;
}

/**
 * Uncalibrated operating points per embedding model id (used only where no calibration file ships
 * for the encoder id+version, or with an explicit `--scoring cosine`), measured by
 * `npm run eval:voiceprints` before the calibration existed on the dev protocol (5 LibriSpeech
 * speakers enrolled on 3 files each + Katie/Steve as extra impostors, 35 test files, 245 trials):
 *  - callscope_spk_encoder_v1 1.0.0: cosine EER 0.24 % (at 0.377; at 0.40 FAR 0.5 %, FRR 2.9 %);
 *  - fbank-stats 1: cosine EER 2.9 % (at 0.924; at 0.94 FAR 0 %, FRR 8.6 %).
 * The calibrated point (AS-norm + logistic calibration, threshold for FAR ≤ 1 % on non-enrolled
 * speakers; `models/<id>.calibration.json`) is the default wherever it ships.
 */
export const OPERATING_POINTS: Record<string, { cosine: OperatingPoint; asNorm?: OperatingPoint }> = {
  'fbank-stats': {
    cosine: { threshold: 0.94, margin: 0.005, scoring: 'cosine' },
    asNorm: { threshold: 2.5, margin: 0.3, scoring: 'as-norm' },
  },
  callscope_spk_encoder_v1: {
    cosine: { threshold: 0.4, margin: 0.05, scoring: 'cosine' },
    asNorm: { threshold: 2.2, margin: 0.3, scoring: 'as-norm' },
  },
};

/** Used for an encoder not calibrated yet (cosine; conservative for typical speaker encoders). */
export const FALLBACK_OPERATING_POINT: OperatingPoint = { threshold: 0.6, margin: 0.05, scoring: 'cosine' };

/** The cosine-similarity operating point of an encoder model id (no score normalisation). */
export function cosineOperatingPoint(modelId: string): OperatingPoint {
  const cal = shippedCalibration(modelId);
  if (cal?.scoring === 'cosine')
    return { threshold: cal.threshold, margin: cal.margin, scoring: 'cosine', calibration: cal };
  return OPERATING_POINTS[modelId]?.cosine ?? FALLBACK_OPERATING_POINT;
}

/**
 * The operating point of an encoder model id+version for a scoring. Default: the shipped
 * calibration (`models/<id>.calibration.json`, for exactly `modelVersion` when given; AS-norm
 * needs the shipped cohort too), else the uncalibrated cosine point. `as-norm` without a
 * calibration uses the uncalibrated AS-norm point when a cohort ships.
 * @throws Error when a shipped cohort or calibration file is malformed.
 */
export function operatingPointFor(
  modelId: string,
  modelVersion?: string,
  scoring?: ScoreKind,
): OperatingPoint {
  const cal = shippedCalibration(modelId, modelVersion);
  const cohort = shippedCohort(modelId, modelVersion);
  if (cal && (scoring === undefined || scoring === cal.scoring) && (cal.scoring !== 'as-norm' || cohort))
    return { threshold: cal.threshold, margin: cal.margin, scoring: cal.scoring, calibration: cal };
  const fixed = OPERATING_POINTS[modelId];
  if (scoring === 'as-norm' && fixed?.asNorm && cohort) return fixed.asNorm;
  return cosineOperatingPoint(modelId);
}

/** The engine's L2 normalisation (diarization/clustering.ts), re-exported for voiceprint callers. */
export { l2normalize };

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

/** A scored voiceprint of a query: index row, cosine similarity and decision score. */
interface Scored {
  row: number;
  cosine: number;
  score: number;
}

/**
 * In-memory index of the voiceprint centroids of one encoder model: a contiguous
 * [voiceprints, dim] matrix, so one query is a single pass (≈ N·dim multiply-adds), plus, with a
 * cohort, each centroid's top-K cohort statistics (computed once at build: N·C·dim) and the
 * query's (C·dim per query).
 */
export class VoiceprintIndex {
  private constructor(
    readonly modelId: string,
    readonly modelVersion: string,
    readonly dim: number,
    readonly ids: number[],
    readonly names: string[],
    private readonly matrix: Float32Array,
    /** Impostor cohort of this encoder id+version (AS-norm), or null (cosine scoring). */
    readonly cohort: Cohort | null,
    /** Per centroid [mean, std] of its top-K cohort scores (empty without cohort). */
    private readonly enrollStats: Float32Array,
  ) {}

  /** The decision score this index produces: `as-norm` with a cohort, else `cosine`. */
  get scoring(): ScoreKind {
    return this.cohort ? 'as-norm' : 'cosine';
  }

  /** Number of voiceprints in the index. */
  get size(): number {
    return this.ids.length;
  }

  /**
   * Builds the index from a list of embeddings (any order; grouped by voiceprint).
   * @param cohort impostor cohort for AS-norm; default: the one shipped for this id+version
   *   (none: cosine scoring); null: cosine scoring.
   * @throws Error when embeddings (or embeddings and cohort) differ in dimension, or the cohort
   *   belongs to another encoder.
   */
  static fromEmbeddings(
    modelId: string,
    modelVersion: string,
    embeddings: { voiceprintId: number; name: string; vector: Float32Array; speechS: number }[],
    cohort: Cohort | null = shippedCohort(modelId, modelVersion),
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
    if (cohort && (cohort.modelId !== modelId || cohort.modelVersion !== modelVersion))
      throw new Error(
        `cohort of ${cohort.modelId} ${cohort.modelVersion} cannot normalise scores of ${modelId} ${modelVersion}`,
      );
    if (cohort && ids.length && cohort.dim !== dim)
      throw new Error(`cohort dimension ${cohort.dim} does not match ${modelId} (${dim})`);
    const stats = new Float32Array(cohort ? 2 * ids.length : 0);
    if (cohort) {
      for (let r = 0; r < ids.length; r++) {
        const st = cohortStats(cohort, matrix, r * dim);
        stats[2 * r] = st.mean;
        stats[2 * r + 1] = st.std;
      }
    }
    return new VoiceprintIndex(
      modelId,
      modelVersion,
      dim,
      ids,
      ids.map((id) => acc.get(id)!.name),
      matrix,
      cohort,
      stats,
    );
  }

  /**
   * Cosine similarities of a query to every voiceprint, in index order.
   * @throws Error when the query dimension differs from the index's (another encoder).
   */
  scores(query: Float32Array): Float32Array {
    return this.cosines(l2normalize(this.check(query)));
  }

  /**
   * Decision scores of a query to every voiceprint: AS-norm scores with `as-norm` (needs a
   * cohort), cosine similarities with `cosine`.
   * @throws Error for a query of another dimension, or `as-norm` on an index without cohort.
   */
  decisionScores(query: Float32Array, scoring: ScoreKind = this.scoring): Float32Array {
    const q = l2normalize(this.check(query));
    const cos = this.cosines(q);
    return scoring === 'as-norm' ? this.normalize(cos, q) : cos;
  }

  /**
   * The two best candidates (distinct voiceprints) for a query, best first by decision score.
   * @throws as {@link decisionScores}.
   */
  top2(query: Float32Array, scoring: ScoreKind = this.scoring): [Candidate | null, Candidate | null] {
    const q = l2normalize(this.check(query));
    const cos = this.cosines(q);
    const s = scoring === 'as-norm' ? this.normalize(cos, q) : cos;
    let b = -1;
    let r = -1;
    for (let i = 0; i < s.length; i++) {
      if (b < 0 || s[i] > s[b]) {
        r = b;
        b = i;
      } else if (r < 0 || s[i] > s[r]) r = i;
    }
    const cand = (x: Scored | null): Candidate | null =>
      x && { voiceprintId: this.ids[x.row], name: this.names[x.row], similarity: x.cosine, score: x.score };
    const at = (i: number): Scored | null => (i < 0 ? null : { row: i, cosine: cos[i], score: s[i] });
    return [cand(at(b)), cand(at(r))];
  }

  private check(query: Float32Array): Float32Array {
    if (this.size && query.length !== this.dim)
      throw new Error(`embedding dimension ${query.length} does not match ${this.modelId} (${this.dim})`);
    return query;
  }

  private cosines(q: Float32Array): Float32Array {
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

  private normalize(cos: Float32Array, q: Float32Array): Float32Array {
    if (!this.cohort)
      throw new Error(`no score-normalisation cohort for ${this.modelId} ${this.modelVersion}`);
    if (!cos.length) return cos;
    const t = cohortStats(this.cohort, q);
    const out = new Float32Array(cos.length);
    const st = this.enrollStats;
    for (let r = 0; r < cos.length; r++) out[r] = asNorm(cos[r], { mean: st[2 * r], std: st[2 * r + 1] }, t);
    return out;
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
  requested: OperatingPoint = operatingPointFor(index.modelId, index.modelVersion),
  exclusive = true,
): Map<string, Identification> {
  // an AS-norm point on an index without cohort (e.g. another encoder version) falls back to the
  // encoder's cosine point: a threshold only means something on the score it was calibrated for
  const op =
    (requested.scoring ?? 'cosine') === 'as-norm' && index.scoring !== 'as-norm'
      ? cosineOperatingPoint(index.modelId)
      : requested;
  const scoring: ScoreKind = op.scoring ?? 'cosine';
  const raw = new Map<string, [Candidate | null, Candidate | null]>();
  for (const [id, v] of queries) raw.set(id, index.size ? index.top2(v, scoring) : [null, null]);
  const decided = new Map<string, Identification>();
  const cal = op.calibration;
  const base = (
    best: Candidate | null,
    runnerUp: Candidate | null,
  ): Omit<Identification, 'status' | 'label'> => ({
    best,
    runnerUp,
    threshold: op.threshold,
    scoring,
    modelId: index.modelId,
    ...(best && cal ? { probability: round4(probabilityOf(cal, best.score)) } : {}),
    ...(best ? {} : { reason: noCandidateReason(index) }),
  });
  const taken = new Set<number>();
  const order = [...raw.entries()].sort(
    (a, b) => (b[1][0]?.score ?? -Infinity) - (a[1][0]?.score ?? -Infinity),
  );
  for (const [id, [best, runnerUp]] of order) {
    if (!best || best.score < op.threshold || (exclusive && taken.has(best.voiceprintId))) continue;
    const close = runnerUp && runnerUp.score >= op.threshold && best.score - runnerUp.score < op.margin;
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
      decided.get(id) ?? {
        status: 'unknown',
        label: `Unknown ${++unknown}`,
        ...base(best, runnerUp),
        ...(best ? { reason: hintReason(best, op, exclusive && taken.has(best.voiceprintId)) } : {}),
      },
    );
  }
  return out;
}

const round4 = (x: number): number => round(x, 4);

/** Why an identification has no candidate at all. */
function noCandidateReason(index: VoiceprintIndex): string {
  return index.size
    ? `no embedding of this speaker (too little clean speech for ${index.modelId})`
    : `the library holds no voiceprint with a ${index.modelId} ${index.modelVersion} embedding` +
        ' (voiceprints enrolled with another encoder need re-enrollment)';
}

/** Why an `unknown` answer names its closest candidate only as a hint. */
function hintReason(best: Candidate, op: OperatingPoint, taken: boolean): string {
  if (taken && best.score >= op.threshold)
    return `${best.name} was matched more closely by another speaker of this call`;
  const p = op.calibration ? `P(same speaker) ${probabilityOf(op.calibration, best.score).toFixed(2)}, ` : '';
  return `closest voiceprint ${best.name} is below the decision threshold (${p}score ${best.score.toFixed(2)} < ${op.threshold.toFixed(2)}): a hint only`;
}

/**
 * How an identified speaker is linked to the library when a call is stored (the shape the store's
 * `SpeakerLink` has; declared here so the engine needs nothing from the store).
 */
export interface VoiceprintLink {
  voiceprintId: number | null;
  status: Identification['status'];
  /** Label to show when no voiceprint name applies, e.g. `Unknown 1`. */
  label: string;
  /** Cosine similarity of the best candidate, or null. */
  similarity: number | null;
}

/** Speaker links to store with a call: known speakers link to their voiceprint. */
export function linksOf(ids: Map<string, Identification>): Map<string, VoiceprintLink> {
  const links = new Map<string, VoiceprintLink>();
  for (const [sid, id] of ids) {
    links.set(sid, {
      voiceprintId: id.status === 'known' ? id.best!.voiceprintId : null,
      status: id.status,
      // a known speaker's name is resolved at read time; the stored label is the fallback shown
      // if the voiceprint is deleted, so it must not repeat the name
      label: sid === 'you' ? 'You' : id.status === 'known' ? 'Unknown' : id.label,
      similarity: id.best?.similarity ?? null,
    });
  }
  return links;
}

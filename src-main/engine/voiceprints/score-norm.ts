/**
 * Score normalisation for voiceprint identification: adaptive symmetric normalisation (AS-norm).
 *
 * A raw cosine similarity depends on the recording channel of both sides (an enrollment made on a
 * headset and a test on a room or phone microphone both drift away from every voiceprint, so
 * true-speaker scores drop together with impostor scores). AS-norm rescales each score by how
 * the enrollment and the test embedding score against an impostor cohort:
 *
 *   s' = ½ · [ (s − μ_e) / σ_e + (s − μ_t) / σ_t ]
 *
 * where μ_e, σ_e are the mean and standard deviation of the top-K cosine scores of the
 * enrollment (voiceprint centroid) against the cohort, and μ_t, σ_t the same for the test
 * embedding. Sources: P. Matějka et al., "Analysis of score normalization in multilingual speaker
 * recognition", Interspeech 2017 (adaptive s-norm, top-K cohort selection); S. Cumani et al.,
 * "Comparison of speaker recognition approaches for real applications", Interspeech 2011 (s-norm).
 *
 * The cohort is a small set of speaker-mean embeddings of the project's training corpus (speakers
 * disjoint from every evaluation set), computed once per encoder model id+version by
 * `scripts/voiceprint-cohort.ts` and shipped as `models/<model id>.cohort.json`. An encoder
 * without a cohort file is scored with plain cosine similarity.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { l2normalize } from '../diarization/clustering.ts';
import { APP_ROOT } from '../inference/registry.ts';

/** Format tag and version of a cohort file. */
export const COHORT_FORMAT = 'callscope-score-cohort';
export const COHORT_VERSION = 1;

/**
 * Default number of top cohort scores used per side (Matějka et al. 2017 use a few hundred of
 * several thousand; with a ~280-speaker cohort, K = 100 was best on the dev voiceprint protocol,
 * see bench/results/voiceprint-eval.json).
 */
export const DEFAULT_TOP_K = 100;

/** Floor of σ, so a degenerate cohort never divides by ~0. */
const MIN_STD = 1e-3;

/** An impostor cohort of one encoder: L2-normalised embeddings, row-major `[count, dim]`. */
export interface Cohort {
  modelId: string;
  modelVersion: string;
  dim: number;
  count: number;
  /** Top-K cohort scores used per side (≤ count). */
  topK: number;
  /** `[count, dim]` L2-normalised rows. */
  matrix: Float32Array;
}

/** The JSON file a cohort is shipped in (`models/<model id>.cohort.json`). */
export interface CohortFile {
  format: typeof COHORT_FORMAT;
  version: typeof COHORT_VERSION;
  modelId: string;
  modelVersion: string;
  dim: number;
  count: number;
  topK: number;
  /** `float16-le-base64`: IEEE 754 half floats, little-endian, base64. */
  encoding: 'float16-le-base64';
  embeddings: string;
  /** How the cohort was made (corpus, speakers, licences, script), for the model card. */
  provenance: Record<string, unknown>;
}

/** Mean and standard deviation of the top-K cohort scores of one embedding. */
export interface CohortStats {
  mean: number;
  std: number;
}

/** float32 → IEEE 754 binary16 bits (round to nearest even; overflow → ±Inf). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry may round up to Inf (0x7c00)
  return sign | h;
}

/** IEEE 754 binary16 bits → number. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** L2-normalises the rows of a `[rows, dim]` matrix in place. */
function normalizeRows(m: Float32Array, dim: number): void {
  for (let o = 0; o < m.length; o += dim) {
    const row = m.subarray(o, o + dim);
    l2normalize(row, row);
  }
}

/**
 * Builds the JSON file of a cohort.
 * @param rows speaker-mean embeddings (any norm; stored L2-normalised as float16).
 * @throws Error when rows are empty or of different lengths.
 */
export function cohortToFile(
  modelId: string,
  modelVersion: string,
  rows: Float32Array[],
  topK: number,
  provenance: Record<string, unknown>,
): CohortFile {
  if (!rows.length) throw new Error('a cohort needs at least one embedding');
  const dim = rows[0].length;
  if (rows.some((r) => r.length !== dim)) throw new Error('cohort embeddings have different dimensions');
  const m = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => m.set(r, i * dim));
  normalizeRows(m, dim);
  const buf = Buffer.alloc(m.length * 2);
  for (let i = 0; i < m.length; i++) buf.writeUInt16LE(toHalf(m[i]), i * 2);
  return {
    format: COHORT_FORMAT,
    version: COHORT_VERSION,
    modelId,
    modelVersion,
    dim,
    count: rows.length,
    topK: Math.min(topK, rows.length),
    encoding: 'float16-le-base64',
    embeddings: buf.toString('base64'),
    provenance,
  };
}

/**
 * Parses a cohort file.
 * @throws Error naming the problem when the file is not a valid cohort of this format version.
 */
export function cohortFromFile(raw: unknown, where = 'cohort file'): Cohort {
  const f = raw as Partial<CohortFile>;
  if (!f || f.format !== COHORT_FORMAT) throw new Error(`${where}: not a ${COHORT_FORMAT} file`);
  if (f.version !== COHORT_VERSION)
    throw new Error(`${where}: cohort format version ${String(f.version)} is not supported`);
  if (f.encoding !== 'float16-le-base64') throw new Error(`${where}: unknown encoding ${String(f.encoding)}`);
  const { dim, count, topK } = f;
  if (!Number.isInteger(dim) || !Number.isInteger(count) || !Number.isInteger(topK) || dim! < 1 || count! < 2)
    throw new Error(`${where}: dim, count and topK must be positive integers (count ≥ 2)`);
  if (typeof f.modelId !== 'string' || typeof f.modelVersion !== 'string')
    throw new Error(`${where}: modelId and modelVersion are required`);
  const buf = Buffer.from(f.embeddings ?? '', 'base64');
  if (buf.length !== dim! * count! * 2)
    throw new Error(`${where}: ${buf.length} bytes of embeddings, expected ${dim! * count! * 2}`);
  const matrix = new Float32Array(dim! * count!);
  for (let i = 0; i < matrix.length; i++) matrix[i] = fromHalf(buf.readUInt16LE(i * 2));
  if (!matrix.every(Number.isFinite)) throw new Error(`${where}: embeddings are not finite`);
  normalizeRows(matrix, dim!);
  return {
    modelId: f.modelId,
    modelVersion: f.modelVersion,
    dim: dim!,
    count: count!,
    topK: Math.max(1, Math.min(topK!, count!)),
    matrix,
  };
}

/** Path of the shipped cohort file of an encoder model id. */
export function cohortPath(modelId: string): string {
  return join(APP_ROOT, 'models', `${modelId}.cohort.json`);
}

const cache = new Map<string, Cohort | null>();

/**
 * The shipped cohort of an encoder model id+version, or null when none ships for exactly this
 * id+version (then identification uses plain cosine similarity). Cached per process.
 * @param modelVersion omitted: the shipped cohort of any version of the id.
 * @throws Error when a cohort file exists but is malformed.
 */
export function shippedCohort(modelId: string, modelVersion?: string): Cohort | null {
  if (!cache.has(modelId)) {
    const p = cohortPath(modelId);
    cache.set(modelId, existsSync(p) ? cohortFromFile(JSON.parse(readFileSync(p, 'utf8')), p) : null);
  }
  const c = cache.get(modelId)!;
  return c && (modelVersion === undefined || c.modelVersion === modelVersion) ? c : null;
}

/**
 * Top-K statistics of one L2-normalised embedding against the cohort (≈ count·dim
 * multiply-adds plus a partial selection of K of count scores).
 * @param v L2-normalised embedding, length `cohort.dim`, read from `offset`.
 */
export function cohortStats(cohort: Cohort, v: Float32Array, offset = 0, topK = cohort.topK): CohortStats {
  const { dim, count, matrix } = cohort;
  const s = new Float32Array(count);
  for (let r = 0, o = 0; r < count; r++, o += dim) {
    let x = 0;
    for (let i = 0; i < dim; i++) x += matrix[o + i] * v[offset + i];
    s[r] = x;
  }
  s.sort();
  const k = Math.min(topK, count);
  let sum = 0;
  let sq = 0;
  for (let i = count - k; i < count; i++) {
    sum += s[i];
    sq += s[i] * s[i];
  }
  const mean = sum / k;
  return { mean, std: Math.max(Math.sqrt(Math.max(sq / k - mean * mean, 0)), MIN_STD) };
}

/** AS-norm of one raw cosine score given both sides' cohort statistics (formula above). */
export function asNorm(score: number, enroll: CohortStats, test: CohortStats): number {
  return 0.5 * ((score - enroll.mean) / enroll.std + (score - test.mean) / test.std);
}

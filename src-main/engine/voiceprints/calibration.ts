/**
 * Score calibration of voiceprint identification: a decision score (AS-norm, score-norm.ts) is
 * mapped to the probability that the two sides are the same speaker by logistic regression,
 *
 *   P(same | s) = σ(slope · s + offset),   σ(x) = 1 / (1 + e^(−x)),
 *
 * fitted with equal weight on target and non-target trials (an effective prior of 0.5; the
 * probability is the posterior at even prior odds). Source: N. Brümmer, J. du Preez, "Application-
 * independent evaluation of speaker detection", Computer Speech and Language 20 (2006) (linear
 * logistic-regression calibration; the BOSARIS toolkit's prior-weighted form).
 *
 * The decision threshold is set, on the score, for a false-acceptance rate ≤ 1 % on speakers who
 * are not enrolled ({@link thresholdForFar}); below it the answer is "unknown" and the closest
 * voiceprint is a hint only. Both are fitted per encoder id+version by
 * `npm run eval:voiceprints` (bench/voiceprint-eval.ts) on speaker-disjoint folds of the dev
 * protocols and shipped as `models/<model id>.calibration.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ScoreKind } from '../../../src-shared/contracts/voiceprints.ts';
import { APP_ROOT } from '../inference/registry.ts';

/** Format tag and version of a calibration file. */
export const CALIBRATION_FORMAT = 'callscope-score-calibration';
export const CALIBRATION_VERSION = 1;

/** Logistic map of a score to P(same speaker). */
export interface LogisticCalibration {
  slope: number;
  offset: number;
}

/** The shipped calibration of one encoder (`models/<model id>.calibration.json`). */
export interface ScoreCalibration extends LogisticCalibration {
  format: typeof CALIBRATION_FORMAT;
  version: typeof CALIBRATION_VERSION;
  modelId: string;
  modelVersion: string;
  /** The score calibrated (`as-norm` needs the encoder's shipped cohort). */
  scoring: ScoreKind;
  /** Top-K cohort scores per side the AS-norm used when fitting. */
  topK?: number;
  /** Decision threshold on the score (FAR ≤ `targetFar` on non-enrolled speakers). */
  threshold: number;
  /** A runner-up within this much of the best (both above threshold) makes the answer ambiguous. */
  margin: number;
  /** False-acceptance rate the threshold was set for (0.01). */
  targetFar: number;
  /** Protocols, folds and measured rates, for the model card. */
  provenance: Record<string, unknown>;
}

/** A scored trial: decision score and whether both sides are the same speaker. */
export interface CalibrationTrial {
  score: number;
  target: boolean;
}

/** σ(x), numerically safe for large |x|. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** P(same speaker) of a score under a calibration, in [0, 1]. */
export function probabilityOf(cal: LogisticCalibration, score: number): number {
  return sigmoid(cal.slope * score + cal.offset);
}

/**
 * Fits a logistic calibration by Newton's method on the prior-weighted cross-entropy (targets and
 * non-targets each weigh `prior` resp. `1 − prior` in total), with a small L2 penalty on the slope
 * so separable data still give a finite answer.
 * @throws Error without target or non-target trials.
 */
export function fitLogistic(trials: CalibrationTrial[], prior = 0.5, l2 = 1e-3): LogisticCalibration {
  const nt = trials.filter((t) => t.target).length;
  const nn = trials.length - nt;
  if (!nt || !nn) throw new Error('calibration needs target and non-target trials');
  const wt = prior / nt;
  const wn = (1 - prior) / nn;
  // start from the means' midpoint
  let a = 1;
  let b = 0;
  for (let it = 0; it < 100; it++) {
    let ga = l2 * a;
    let gb = 0;
    let haa = l2;
    let hab = 0;
    let hbb = 0;
    for (const t of trials) {
      const w = t.target ? wt : wn;
      const p = sigmoid(a * t.score + b);
      const r = p - (t.target ? 1 : 0);
      ga += w * r * t.score;
      gb += w * r;
      const h = w * p * (1 - p);
      haa += h * t.score * t.score;
      hab += h * t.score;
      hbb += h;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-18)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  return { slope: a, offset: b };
}

/**
 * The lowest threshold at which the fraction of non-target scores ≥ threshold is at most `far`
 * (just above the ⌈…⌉-th highest non-target score).
 * @throws Error for an empty list or `far` outside [0, 1).
 */
export function thresholdForFar(nontargetScores: number[], far: number): number {
  if (!nontargetScores.length) throw new Error('no non-target scores');
  if (!(far >= 0 && far < 1)) throw new Error(`false-acceptance rate ${far} is not in [0, 1)`);
  const s = [...nontargetScores].sort((x, y) => y - x);
  const allowed = Math.floor(far * s.length); // this many may be accepted
  const above = s[allowed]; // the highest one that must be rejected
  return above + Math.max(Math.abs(above) * 1e-6, 1e-6);
}

/** Cost of log-likelihood-ratio scores (C_llr, bits), a calibration quality measure (Brümmer 2006). */
export function cllr(trials: CalibrationTrial[], cal: LogisticCalibration, prior = 0.5): number {
  const logit = Math.log(prior / (1 - prior));
  const t = trials.filter((x) => x.target);
  const n = trials.filter((x) => !x.target);
  const llr = (s: number): number => cal.slope * s + cal.offset - logit;
  const ct = t.reduce((acc, x) => acc + Math.log2(1 + Math.exp(-llr(x.score))), 0) / Math.max(t.length, 1);
  const cn = n.reduce((acc, x) => acc + Math.log2(1 + Math.exp(llr(x.score))), 0) / Math.max(n.length, 1);
  return 0.5 * (ct + cn);
}

/** Path of the shipped calibration file of an encoder model id. */
export function calibrationPath(modelId: string): string {
  return join(APP_ROOT, 'models', `${modelId}.calibration.json`);
}

/**
 * Parses a calibration file.
 * @throws Error naming the problem when it is not a valid calibration of this format version.
 */
export function calibrationFromFile(raw: unknown, where = 'calibration file'): ScoreCalibration {
  const f = raw as Partial<ScoreCalibration>;
  if (!f || f.format !== CALIBRATION_FORMAT) throw new Error(`${where}: not a ${CALIBRATION_FORMAT} file`);
  if (f.version !== CALIBRATION_VERSION)
    throw new Error(`${where}: calibration format version ${String(f.version)} is not supported`);
  for (const k of ['slope', 'offset', 'threshold', 'margin', 'targetFar'] as const)
    if (typeof f[k] !== 'number' || !Number.isFinite(f[k]))
      throw new Error(`${where}: ${k} must be a finite number`);
  if (typeof f.modelId !== 'string' || typeof f.modelVersion !== 'string')
    throw new Error(`${where}: modelId and modelVersion are required`);
  if (f.scoring !== 'cosine' && f.scoring !== 'as-norm')
    throw new Error(`${where}: unknown scoring ${String(f.scoring)}`);
  if (!(f.slope! > 0)) throw new Error(`${where}: slope must be positive (a higher score means more alike)`);
  return f as ScoreCalibration;
}

const cache = new Map<string, ScoreCalibration | null>();

/**
 * The shipped calibration of an encoder model id+version, or null when none ships for exactly
 * this id+version. Cached per process.
 * @throws Error when a calibration file exists but is malformed.
 */
export function shippedCalibration(modelId: string, modelVersion?: string): ScoreCalibration | null {
  if (!cache.has(modelId)) {
    const p = calibrationPath(modelId);
    cache.set(modelId, existsSync(p) ? calibrationFromFile(JSON.parse(readFileSync(p, 'utf8')), p) : null);
  }
  const c = cache.get(modelId)!;
  return c && (modelVersion === undefined || c.modelVersion === modelVersion) ? c : null;
}

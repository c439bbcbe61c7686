/** AS-norm score normalisation: float16 cohort files, statistics, and identification with a cohort. */
import { describe, expect, it } from 'vitest';

import { identifySpeakers, l2normalize, VoiceprintIndex } from './identify.ts';
import {
  asNorm,
  cohortFromFile,
  cohortStats,
  cohortToFile,
  fromHalf,
  shippedCohort,
  toHalf,
} from './score-norm.ts';

/** Deterministic pseudo-random vectors (LCG), so the test does not depend on Math.random. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}
const vec = (r: () => number, dim: number): Float32Array => Float32Array.from({ length: dim }, r);

describe('float16', () => {
  it('round-trips within half precision and keeps specials', () => {
    for (const x of [0, 1, -1, 0.333, -0.0123, 65504, 1e-5, 6e-8]) {
      expect(Math.abs(fromHalf(toHalf(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-3 + 6e-8);
    }
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
  });
});

describe('cohort files', () => {
  const r = rng(1);
  const rows = Array.from({ length: 30 }, () => vec(r, 16));
  it('stores L2-normalised rows and parses them back', () => {
    const c = cohortFromFile(JSON.parse(JSON.stringify(cohortToFile('m', '1', rows, 10, { by: 'test' }))));
    expect([c.count, c.dim, c.topK]).toEqual([30, 16, 10]);
    const first = l2normalize(rows[0]);
    for (let i = 0; i < 16; i++) expect(c.matrix[i]).toBeCloseTo(first[i], 3);
  });
  it('rejects malformed files with a clear message', () => {
    const good = cohortToFile('m', '1', rows, 10, {});
    expect(() => cohortFromFile({ ...good, format: 'x' })).toThrow(/not a callscope-score-cohort file/);
    expect(() => cohortFromFile({ ...good, version: 9 })).toThrow(/version 9 is not supported/);
    expect(() => cohortFromFile({ ...good, embeddings: 'AAAA' })).toThrow(
      /bytes of embeddings, expected 960/,
    );
    expect(() => cohortToFile('m', '1', [vec(r, 3), vec(r, 4)], 1, {})).toThrow(/different dimensions/);
  });
});

describe('AS-norm', () => {
  it('uses the top-K cohort scores of both sides', () => {
    const c = cohortFromFile(
      cohortToFile('m', '1', [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(-1, 0)], 2, {}),
    );
    // v = (1, 0): cohort scores 1, 0, -1 → top-2 {1, 0}: mean 0.5, std 0.5
    const st = cohortStats(c, Float32Array.of(1, 0));
    expect(st.mean).toBeCloseTo(0.5, 3);
    expect(st.std).toBeCloseTo(0.5, 3);
    expect(asNorm(0.9, st, { mean: 0.1, std: 0.2 })).toBeCloseTo(0.5 * (0.8 + 4), 3);
  });

  it('an index with a cohort decides on the AS-norm score and reports the cosine beside it', () => {
    const r = rng(7);
    const dim = 24;
    const cohort = cohortFromFile(
      cohortToFile(
        'm',
        '1',
        Array.from({ length: 60 }, () => vec(r, dim)),
        20,
        {},
      ),
    );
    const ann = vec(r, dim);
    const bob = vec(r, dim);
    const index = VoiceprintIndex.fromEmbeddings(
      'm',
      '1',
      [
        { voiceprintId: 1, name: 'Ann', vector: ann, speechS: 10 },
        { voiceprintId: 2, name: 'Bob', vector: bob, speechS: 10 },
      ],
      cohort,
    );
    expect(index.scoring).toBe('as-norm');
    // a noisy copy of Ann's voice: low-ish cosine, but far above the cohort's scores
    const q = Float32Array.from(ann, (x) => x + 1.2 * r());
    const [best] = index.top2(q);
    expect(best!.name).toBe('Ann');
    expect(best!.similarity).toBeCloseTo(index.scores(q)[0], 5);
    expect(best!.score).toBeCloseTo(index.decisionScores(q)[0], 5);
    expect(best!.score).toBeGreaterThan(2);
    const id = identifySpeakers(index, new Map([['S1', q]]), {
      threshold: 2,
      margin: 0.5,
      scoring: 'as-norm',
    });
    expect(id.get('S1')).toMatchObject({ status: 'known', label: 'Ann', scoring: 'as-norm', threshold: 2 });
    // a random voice stays unknown
    const other = identifySpeakers(index, new Map([['S2', vec(r, dim)]]), {
      threshold: 2,
      margin: 0.5,
      scoring: 'as-norm',
    });
    expect(other.get('S2')!.status).toBe('unknown');
    // a cohort of another encoder is refused
    expect(() => VoiceprintIndex.fromEmbeddings('other', '1', [], cohort)).toThrow(/cannot normalise scores/);
  });

  it('an AS-norm operating point on an index without cohort falls back to cosine scoring', () => {
    const index = VoiceprintIndex.fromEmbeddings(
      'fbank-stats',
      'no-such-version',
      [{ voiceprintId: 1, name: 'Ann', vector: Float32Array.of(1, 0, 0), speechS: 10 }],
      null,
    );
    const id = identifySpeakers(index, new Map([['S1', Float32Array.of(1, 0.01, 0)]]), {
      threshold: 3,
      margin: 0.5,
      scoring: 'as-norm',
    }).get('S1')!;
    expect(id).toMatchObject({ status: 'known', scoring: 'cosine' });
    expect(id.best!.score).toBe(id.best!.similarity);
  });
});

describe('shipped cohorts', () => {
  it('the trained encoder ships a cohort of training speakers, keyed by model id+version', () => {
    const c = shippedCohort('callscope_spk_encoder_v1', '1.0.0');
    expect(c).not.toBeNull();
    expect(c!.count).toBeGreaterThanOrEqual(200);
    expect(shippedCohort('callscope_spk_encoder_v1', '0.9.0')).toBeNull();
  });

  it('encoder v2 ships its own cohort (≥ top-K speakers, its dimension), not interchangeable with v1', () => {
    const c = shippedCohort('callscope_spk_encoder_v2', '1.0.0');
    expect(c).not.toBeNull();
    expect(c!.count).toBeGreaterThanOrEqual(c!.topK);
    expect(c!.dim).toBe(292);
    expect(shippedCohort('callscope_spk_encoder_v1', '1.0.0')!.dim).toBe(228);
  });
});

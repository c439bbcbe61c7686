/**
 * Score calibration: logistic fit recovers known parameters, the FAR threshold rejects what it
 * must, shipped calibration files are validated, and identification with a calibrated operating
 * point reports P(same speaker) and says why an answer is unknown or has no candidate.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  calibrationFromFile,
  calibrationPath,
  cllr,
  fitLogistic,
  probabilityOf,
  shippedCalibration,
  sigmoid,
  thresholdForFar,
} from './calibration.ts';
import { identifySpeakers, operatingPointFor, VoiceprintIndex } from './identify.ts';

/** Deterministic uniform numbers in [0, 1) (a linear congruential generator). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('logistic calibration', () => {
  it('recovers slope and offset of data drawn from a logistic model', () => {
    const rnd = lcg(7);
    const trials = [];
    for (let i = 0; i < 20000; i++) {
      const score = -4 + 8 * rnd();
      trials.push({ score, target: rnd() < sigmoid(1.5 * score - 0.75) });
    }
    // equal prior weighting of the classes shifts the offset by the log odds of the class counts
    const nt = trials.filter((t) => t.target).length;
    const fit = fitLogistic(trials, nt / trials.length, 0);
    expect(fit.slope).toBeCloseTo(1.5, 1);
    expect(fit.offset).toBeCloseTo(-0.75, 1);
    expect(probabilityOf(fit, 10)).toBeGreaterThan(0.99);
    expect(cllr(trials, fit, nt / trials.length)).toBeLessThan(1);
  });

  it('stays finite on separable scores and refuses one-class data', () => {
    const fit = fitLogistic([
      { score: 3, target: true },
      { score: 4, target: true },
      { score: -1, target: false },
      { score: 0, target: false },
    ]);
    expect(Number.isFinite(fit.slope) && fit.slope > 0).toBe(true);
    expect(probabilityOf(fit, 3.5)).toBeGreaterThan(0.5);
    expect(probabilityOf(fit, -0.5)).toBeLessThan(0.5);
    expect(() => fitLogistic([{ score: 1, target: true }])).toThrow(/target and non-target/);
  });

  it('sets the threshold so at most the given share of non-targets is accepted', () => {
    const scores = Array.from({ length: 250 }, (_, i) => i / 10); // 0 … 24.9
    const th = thresholdForFar(scores, 0.01);
    expect(scores.filter((s) => s >= th).length).toBe(2); // floor(0.01 · 250)
    expect(th).toBeGreaterThan(24.7);
    expect(scores.filter((s) => s >= thresholdForFar(scores, 0)).length).toBe(0);
    expect(() => thresholdForFar([], 0.01)).toThrow(/no non-target/);
    expect(() => thresholdForFar(scores, 1)).toThrow(/not in \[0, 1\)/);
  });

  it('validates calibration files', () => {
    const good = {
      format: 'callscope-score-calibration',
      version: 1,
      modelId: 'x',
      modelVersion: '1',
      scoring: 'as-norm',
      slope: 1,
      offset: -3,
      threshold: 4,
      margin: 0.3,
      targetFar: 0.01,
      provenance: {},
    };
    expect(calibrationFromFile(good).threshold).toBe(4);
    expect(() => calibrationFromFile({ ...good, format: 'nope' })).toThrow(
      /not a callscope-score-calibration/,
    );
    expect(() => calibrationFromFile({ ...good, slope: -1 })).toThrow(/slope must be positive/);
    expect(() => calibrationFromFile({ ...good, threshold: 'high' })).toThrow(
      /threshold must be a finite number/,
    );
  });

  it('the shipped calibration of the project encoder is valid and is the default operating point', () => {
    const cal = shippedCalibration('callscope_spk_encoder_v1', '1.0.0');
    expect(cal).not.toBeNull();
    expect(calibrationFromFile(JSON.parse(readFileSync(calibrationPath(cal!.modelId), 'utf8')))).toEqual(cal);
    const op = operatingPointFor('callscope_spk_encoder_v1', '1.0.0');
    expect(op).toMatchObject({ scoring: 'as-norm', threshold: cal!.threshold, calibration: cal });
    // another version of the encoder gets no calibration of this one
    expect(operatingPointFor('callscope_spk_encoder_v1', '9.9.9').calibration).toBeUndefined();
  });

  it('encoder v2 ships a calibration for FAR ≤ 1 % with a threshold of high P(same speaker)', () => {
    const cal = shippedCalibration('callscope_spk_encoder_v2', '1.0.0');
    // cosine: out of fold, v2's AS-norm against its cohort lost on FRR and on strangers
    // (bench/results/voiceprint-eval-alternatives.json)
    expect(cal).toMatchObject({ scoring: 'cosine', targetFar: 0.01, modelVersion: '1.0.0', margin: 0.05 });
    expect(cal!.threshold).toBeGreaterThan(0);
    expect(cal!.threshold).toBeLessThan(1);
    expect(operatingPointFor('callscope_spk_encoder_v2', '1.0.0')).toMatchObject({
      scoring: 'cosine',
      threshold: cal!.threshold,
      calibration: cal,
    });
    // a name is given only where the calibrated P(same speaker) is above even odds
    expect(probabilityOf(cal!, cal!.threshold)).toBeGreaterThan(0.5);
  });
});

describe('calibrated identification', () => {
  const vec = (...v: number[]): Float32Array => Float32Array.from(v);
  const index = VoiceprintIndex.fromEmbeddings(
    'test-enc',
    '1',
    [
      { voiceprintId: 1, name: 'Ann', vector: vec(1, 0, 0), speechS: 10 },
      { voiceprintId: 2, name: 'Bob', vector: vec(0, 1, 0), speechS: 10 },
    ],
    null,
  );
  const op = {
    threshold: 0.8,
    margin: 0.05,
    scoring: 'cosine' as const,
    calibration: { slope: 10, offset: -8 },
  };

  it('reports P(same speaker); below the threshold the closest voice is a hint with its reason', () => {
    const out = identifySpeakers(
      index,
      new Map([
        ['S1', vec(1, 0.1, 0)],
        ['S2', vec(0.6, 0.5, 0.6)],
      ]),
      op,
    );
    expect(out.get('S1')).toMatchObject({ status: 'known', label: 'Ann' });
    expect(out.get('S1')!.probability).toBeCloseTo(sigmoid(10 * out.get('S1')!.best!.score - 8), 3);
    const s2 = out.get('S2')!;
    expect(s2).toMatchObject({ status: 'unknown', label: 'Unknown 1' });
    expect(s2.best?.name).toBe('Ann');
    expect(s2.reason).toMatch(
      /closest voiceprint Ann is below the decision threshold \(P\(same speaker\) 0\.\d\d, score/,
    );
  });

  it('an empty index (no voiceprint of this encoder) says so instead of a similarity', () => {
    const empty = VoiceprintIndex.fromEmbeddings('test-enc', '2', [], null);
    const out = identifySpeakers(empty, new Map([['S1', vec(1, 0, 0)]]), op).get('S1')!;
    expect(out).toMatchObject({ status: 'unknown', best: null });
    expect(out.reason).toMatch(/no voiceprint with a test-enc 2 embedding.*re-enrollment/);
  });
});

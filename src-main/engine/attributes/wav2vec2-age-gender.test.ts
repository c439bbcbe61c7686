/**
 * The audeering wav2vec2 age/gender adapter.
 *
 * CONTRACT tests run on a generated fixture with the same signature
 * (`../inference/fixtures/make_fixtures.py`: `logits_age` = 0.25 · max(signal), `logits_gender` =
 * softmax(max, −min, mean |signal|)), so they check the input normalisation, the length budget,
 * the ×100 age mapping and the (female, male, child) order without the 360 MB, CC BY-NC-SA model.
 * The REAL test runs where the real file is installed (registry or `CALLSCOPE_REAL_AUDEERING`) and
 * is reported as `skipped: <file> not installed` otherwise: the file cannot be obtained in CI.
 */
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { ModelUse } from '../../../src-shared/contracts/analysis.ts';
import { decodeDevMono, useSharedModels } from '../../test-support.ts';
import { computeFbank } from '../audio/fbank.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { findRealModel } from '../inference/real-models.test-support.ts';
import { createAgeGenderEstimator } from './age-gender.ts';
import {
  asProbabilities,
  DEFAULT_WAV2VEC2_CONFIG,
  normalizeSignal,
  Wav2vec2AgeGender,
  wav2vec2Config,
} from './wav2vec2-age-gender.ts';

const FIXTURE = fileURLToPath(new URL('../inference/fixtures/wav2vec2_agegender.onnx', import.meta.url));
const use: ModelUse = { role: 'agegender', id: 'w2v2-fixture', version: 'fixture', sha256: null };

/** A deterministic, asymmetric "voice" at 16 kHz: two harmonics and a DC offset, peak ≈ 0.01. */
function voice(seconds: number, gain = 0.01): Float32Array {
  const x = new Float32Array(Math.round(seconds * 16000));
  for (let i = 0; i < x.length; i++) {
    const t = i / 16000;
    x[i] = gain * (0.6 * Math.sin(2 * Math.PI * 150 * t) + 0.3 * Math.sin(2 * Math.PI * 300 * t + 1) + 0.1);
  }
  return x;
}

/** What the fixture returns for a signal after the adapter's preparation, computed independently in float64. */
function fixtureOutput(x: Float32Array, normalise: boolean): { years: number; probs: number[] } {
  let v = Array.from(x);
  if (normalise) {
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length + 1e-7);
    v = v.map((a) => (a - mean) / sd);
  }
  const max = Math.max(...v);
  const min = Math.min(...v);
  const meanAbs = v.reduce((s, a) => s + Math.abs(a), 0) / v.length;
  const e = [max, -min, meanAbs].map(Math.exp);
  const z = e[0] + e[1] + e[2];
  return { years: 25 * max, probs: e.map((a) => a / z) };
}

async function estimator(config = DEFAULT_WAV2VEC2_CONFIG): Promise<Wav2vec2AgeGender> {
  return Wav2vec2AgeGender.fromModel(await OnnxModel.loadPath(FIXTURE, { intraOpThreads: 1 }), use, config);
}

describe('CONTRACT: wav2vec2 age/gender adapter on a generated fixture', () => {
  it('feeds the normalised waveform as "signal" [1, N] and maps logits_age ×100 and (female, male, child)', async () => {
    const est = await estimator();
    const audio = voice(4);
    const a = await est.estimate(new Float32Array(0), 4, audio);
    const want = fixtureOutput(audio, true);
    expect(a.status).toBe('estimated');
    expect(a.speechUsedS).toBe(4);
    expect(a.age!.years).toBeCloseTo(want.years, 1);
    expect(a.gender!.probs.female).toBeCloseTo(want.probs[0], 3);
    expect(a.gender!.probs.male).toBeCloseTo(want.probs[1], 3);
    expect(a.gender!.probs.child).toBeCloseTo(want.probs[2], 3);
    const labels = ['female', 'male', 'child'] as const;
    expect(a.gender!.label).toBe(labels[want.probs.indexOf(Math.max(...want.probs))]);
    expect(a.age!.interval).toEqual([
      Number(Math.max(0, a.age!.years - 10).toFixed(1)),
      Number((a.age!.years + 10).toFixed(1)),
    ]);
    expect(a.confidence).toBeCloseTo(Math.max(...want.probs) * (4 / 20), 3);
  });

  it('is level-independent through the per-utterance normalisation, and not without it', async () => {
    const est = await estimator();
    const quiet = await est.estimate(new Float32Array(0), 4, voice(4, 0.05));
    const loud = await est.estimate(new Float32Array(0), 4, voice(4, 0.5));
    expect(loud.age!.years).toBeCloseTo(quiet.age!.years, 1);
    expect(loud.gender!.probs.female).toBeCloseTo(quiet.gender!.probs.female, 2);
    const raw = await (
      await estimator({ ...DEFAULT_WAV2VEC2_CONFIG, normalize: false })
    ).estimate(new Float32Array(0), 4, voice(4, 0.5));
    expect(raw.age!.years).toBeCloseTo(fixtureOutput(voice(4, 0.5), false).years, 1);
    expect(raw.age!.years).not.toBeCloseTo(loud.age!.years, 0);
  });

  it('feeds at most maxSeconds of speech', async () => {
    const est = await estimator({ ...DEFAULT_WAV2VEC2_CONFIG, maxSeconds: 5 });
    const audio = new Float32Array(16000 * 8);
    audio.set(voice(5), 0);
    audio.set(voice(3, 1), 16000 * 5); // a loud tail beyond the budget must not be seen
    const a = await est.estimate(new Float32Array(0), 8, audio);
    expect(a.speechUsedS).toBe(5);
    expect(a.age!.years).toBeCloseTo(fixtureOutput(voice(5), true).years, 1);
  });

  it('follows a configured output order', async () => {
    const est = await estimator({ ...DEFAULT_WAV2VEC2_CONFIG, genderLabels: ['male', 'female', 'child'] });
    const a = await est.estimate(new Float32Array(0), 4, voice(4));
    const want = fixtureOutput(voice(4), true);
    expect(a.gender!.probs.male).toBeCloseTo(want.probs[0], 3);
    expect(a.gender!.probs.female).toBeCloseTo(want.probs[1], 3);
  });

  it('reports too little speech, or no waveform, as undetermined instead of guessing', async () => {
    const est = await estimator();
    const short = await est.estimate(new Float32Array(0), 2, voice(2));
    expect(short).toMatchObject({ status: 'undetermined', speechUsedS: 2 });
    expect(short.reason).toMatch(/only 2\.0 s of clean speech/);
    expect(short.gender).toBeUndefined();
    const noAudio = await est.estimate(computeFbank(voice(4)), 4);
    expect(noAudio.status).toBe('undetermined');
    expect(noAudio.reason).toMatch(/needs the speaker's waveform/);
  });

  it('rejects a model without the "signal" input, naming what it has', async () => {
    const other = await OnnxModel.loadPath(
      fileURLToPath(new URL('../inference/fixtures/fbank_embedding_3dspeaker.onnx', import.meta.url)),
    );
    expect(() => Wav2vec2AgeGender.fromModel(other, use)).toThrow(
      /age\/gender model w2v2-fixture must have an input "signal" \[1, N\]; has x/,
    );
  });

  it('helpers: normalisation, probabilities, config read defensively from the manifest entry', () => {
    const n = normalizeSignal(Float32Array.from([1, 2, 3, 4]));
    expect(n.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 6);
    expect(n.reduce((s, v) => s + v * v, 0) / 4).toBeCloseTo(1, 5);
    expect(asProbabilities([0.2, 0.7, 0.1])).toEqual([0.2, 0.7, 0.1]);
    const p = asProbabilities([2, 0, -1]);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 6);
    expect(p[0]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1)), 6);
    expect(wav2vec2Config({ maxSeconds: -1, normalize: 'yes' }, { gender_labels: ['a', 'b', 'c'] })).toEqual(
      DEFAULT_WAV2VEC2_CONFIG,
    );
    expect(wav2vec2Config({ maxSeconds: 8 }, { gender_labels: ['child', 'female', 'male'] })).toMatchObject({
      maxSeconds: 8,
      genderLabels: ['child', 'female', 'male'],
    });
  });
});

/** Samples of a dev clip, mono 16 kHz. */
const samplesOf = (rel: string): Promise<Float32Array> => decodeDevMono(rel);

describe('REAL: installed audeering wav2vec2-large-robust-6-ft-age-gender', () => {
  useSharedModels(); // the registry also looks in shared/models; a missing folder fails here
  const id = 'audeering-w2v2-large-robust-6-age-gender';
  const found = findRealModel(id, 'CALLSCOPE_REAL_AUDEERING');
  if (!found.found) {
    it.skip(found.title, () => {});
    return;
  }
  it(`${found.file}: documented gender on dev clips, plausible adult ages`, async () => {
    const est = found.viaRegistry
      ? await createAgeGenderEstimator(id)
      : Wav2vec2AgeGender.fromModel(await OnnxModel.loadPath(found.path, { intraOpThreads: 1 }), {
          ...use,
          id,
        });
    expect(est).toBeInstanceOf(Wav2vec2AgeGender);
    for (const [rel, gender] of [
      ['agegender/saa_english87.mp3', 'female'],
      ['agegender/saa_dutch4.mp3', 'male'],
      ['voiceprint/azure_steve/enrollment_audio_steve.wav', 'male'],
    ] as const) {
      const audio = await samplesOf(rel);
      const a = await est!.estimate(computeFbank(audio), audio.length / 16000, audio);
      expect(a.status, rel).toBe('estimated');
      expect(a.gender?.label, rel).toBe(gender);
      expect(a.age!.years, rel).toBeGreaterThan(12);
      expect(a.age!.years, rel).toBeLessThan(80);
    }
  });
});

/**
 * fbank-input embedding adapters (3D-Speaker CAM++, WeSpeaker ResNet34 as exported for sherpa-onnx).
 *
 * CONTRACT tests run on generated fixtures with the same signature and metadata
 * (`../inference/fixtures/make_fixtures.py`): embedding[j] = mean_t x[t, 5j] and
 * embedding[16 + j] = mean_t x[t, 5j]², so the tests can check which input is fed, whether mean
 * normalisation and the [-1, 1] sample-scale shift were applied, and how the output is mapped.
 * REAL tests run where the real file is installed (registry or an environment variable) and are
 * reported as `skipped: <file> not installed` otherwise: the files cannot be obtained in CI.
 */
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { ModelUse } from '../../../src-shared/contracts/analysis.ts';
import { decodeDevMono, useSharedModels } from '../../test-support.ts';
import { computeFbank } from '../audio/fbank.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { findRealModel } from '../inference/real-models.test-support.ts';
import { dot, l2normalize } from './clustering.ts';
import { encoderInputConfig, OnnxEmbedding, UNIT_SCALE_LOG_OFFSET } from './embedding.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../inference/fixtures/${name}`, import.meta.url));
const use = (id: string): ModelUse => ({ role: 'embedding', id, version: 'fixture', sha256: null });

/** Deterministic raw "fbank" [T, 80]: bin d of frame t = 5 + d/10 + sin(t·(d+1)/7). */
function feats(frames: number): Float32Array {
  const f = new Float32Array(frames * 80);
  for (let t = 0; t < frames; t++)
    for (let d = 0; d < 80; d++) f[t * 80 + d] = 5 + d / 10 + Math.sin((t * (d + 1)) / 7);
  return f;
}

/** Expected fixture output for features after `prepare`: means then mean squares of bins 0, 5, …, 75. */
function expected(raw: Float32Array, prepare: (v: number, d: number, mean: number) => number): number[] {
  const n = raw.length / 80;
  const mean = (d: number): number => {
    let s = 0;
    for (let t = 0; t < n; t++) s += raw[t * 80 + d];
    return s / n;
  };
  const out: number[] = [];
  for (const square of [false, true]) {
    for (let j = 0; j < 16; j++) {
      const d = 5 * j;
      const m = mean(d);
      let s = 0;
      for (let t = 0; t < n; t++) {
        const v = prepare(raw[t * 80 + d], d, m);
        s += square ? v * v : v;
      }
      out.push(s / n);
    }
  }
  return out;
}

function expectClose(actual: Float32Array, want: number[], tol = 1e-3): void {
  expect(actual.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(actual[i] - want[i]), `element ${i}`).toBeLessThan(tol);
}

describe('CONTRACT: fbank embedding adapters on generated fixtures', () => {
  it('3D-Speaker CAM++ signature: input "x", global-mean normalisation from metadata, dim from the output', async () => {
    const model = await OnnxModel.loadPath(fixture('fbank_embedding_3dspeaker.onnx'), { intraOpThreads: 1 });
    const emb = await OnnxEmbedding.fromModel(model, use('campplus-fixture'));
    expect(emb.input).toEqual({ inputName: 'x', cmn: true, unitScaleSamples: true, source: 'metadata' });
    expect(emb.dim).toBe(32);
    const raw = feats(120);
    const out = await emb.embed(Float32Array.from(raw));
    // CMN removes the per-bin mean (and with it the constant [-1, 1] scale shift)
    expectClose(
      out,
      expected(raw, (v, _d, m) => v - m),
    );
    expect(Math.max(...out.slice(0, 16).map(Math.abs))).toBeLessThan(1e-3);
    expect(Math.min(...out.slice(16)), 'variances are not trivially 0').toBeGreaterThan(0.01);
  });

  it('the manifest config overrides the metadata: without CMN the [-1, 1] sample-scale shift shows', async () => {
    const model = await OnnxModel.loadPath(fixture('fbank_embedding_3dspeaker.onnx'), { intraOpThreads: 1 });
    const emb = await OnnxEmbedding.fromModel(model, use('campplus-fixture'), { cmn: false });
    expect(emb.input).toMatchObject({ cmn: false, unitScaleSamples: true, source: 'manifest' });
    const raw = feats(60);
    expectClose(
      await emb.embed(Float32Array.from(raw)),
      expected(raw, (v) => v + UNIT_SCALE_LOG_OFFSET),
      1e-2,
    );
    expect(UNIT_SCALE_LOG_OFFSET).toBeCloseTo(-20.7944, 3);
  });

  it('WeSpeaker signature: input "feats", output "embs", int16 scale (normalize_features=0), no mean normalisation', async () => {
    const model = await OnnxModel.loadPath(fixture('fbank_embedding_wespeaker.onnx'), { intraOpThreads: 1 });
    const emb = await OnnxEmbedding.fromModel(model, use('wespeaker-fixture'));
    expect(model.outputNames).toEqual(['embs']);
    expect(emb.input).toEqual({
      inputName: 'feats',
      cmn: false,
      unitScaleSamples: false,
      source: 'metadata',
    });
    const raw = feats(80);
    expectClose(
      await emb.embed(Float32Array.from(raw)),
      expected(raw, (v) => v),
      1e-2,
    );
  });

  it('rejects a model for another sample rate, naming it', async () => {
    const model = await OnnxModel.loadPath(fixture('fbank_embedding_8k.onnx'), { intraOpThreads: 1 });
    await expect(OnnxEmbedding.fromModel(model, use('campplus-8k'))).rejects.toThrow(
      /embedding model campplus-8k expects 8000 Hz audio; Callscope's features are 16000 Hz/,
    );
  });

  it('rejects metadata and inputs it cannot serve, and keeps the defaults of models without a framework', () => {
    expect(() => encoderInputConfig('m', ['x'], { framework: 'nemo' })).toThrow(
      /metadata framework "nemo" \(expected wespeaker or 3d-speaker\)/,
    );
    expect(() =>
      encoderInputConfig('m', ['x'], { framework: '3d-speaker', feature_normalize_type: 'global-mvn' }),
    ).toThrow(/unsupported feature_normalize_type "global-mvn"/);
    expect(() => encoderInputConfig('m', ['a', 'b'], {})).toThrow(/must have one fbank input .* has a, b/);
    // the project's own encoder: `feats`, CMN, int16 scale, as before
    expect(encoderInputConfig('own', ['feats'], { sample_rate: '16000' }, { cmn: true })).toEqual({
      inputName: 'feats',
      cmn: true,
      unitScaleSamples: false,
      source: 'manifest',
    });
    expect(encoderInputConfig('own', ['feats'], {})).toMatchObject({
      cmn: true,
      unitScaleSamples: false,
      source: 'default',
    });
  });
});

/** Raw fbank of a dev clip. */
async function fbankOf(rel: string): Promise<Float32Array> {
  return computeFbank(await decodeDevMono(rel));
}

describe('REAL: installed sherpa-onnx speaker-embedding exports', () => {
  const cases = [
    { id: '3dspeaker-campplus-en-voxceleb', env: 'CALLSCOPE_REAL_CAMPPLUS', dim: 512 },
    { id: 'wespeaker-resnet34-en-voxceleb', env: 'CALLSCOPE_REAL_WESPEAKER', dim: 256 },
  ];
  useSharedModels(); // the registry also looks in shared/models; a missing folder fails here
  for (const c of cases) {
    const found = findRealModel(c.id, c.env);
    if (!found.found) {
      it.skip(found.title, () => {});
      continue;
    }
    it(`${found.file}: ${c.dim}-dim embeddings that put one speaker's clips closer than two speakers'`, async () => {
      const emb = found.viaRegistry
        ? await OnnxEmbedding.create(c.id)
        : await OnnxEmbedding.fromModel(
            await OnnxModel.loadPath(found.path, { intraOpThreads: 1 }),
            use(c.id),
          );
      expect(emb.dim).toBe(c.dim);
      expect(emb.use.provider?.name).toBeDefined();
      const e = async (rel: string): Promise<Float32Array> =>
        l2normalize(await emb.embed(await fbankOf(rel)));
      const a1 = await e('voiceprint/librispeech_1688/1688-142285-0000.flac');
      const a2 = await e('voiceprint/librispeech_1688/1688-142285-0004.flac');
      const b1 = await e('voiceprint/librispeech_1998/1998-15444-0000.flac');
      const b2 = await e('voiceprint/librispeech_1998/1998-15444-0004.flac');
      const same = Math.min(dot(a1, a2), dot(b1, b2));
      const diff = Math.max(dot(a1, b1), dot(a1, b2), dot(a2, b1), dot(a2, b2));
      expect(same, `same ${same.toFixed(3)} vs different ${diff.toFixed(3)}`).toBeGreaterThan(diff);
    });
  }
});

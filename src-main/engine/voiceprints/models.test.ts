/**
 * The voiceprint encoder choice (models.ts) on the real manifest and the shipped calibration files:
 * the manifest's voiceprint model is used when its file is present, a calibrated encoder takes
 * over when it is absent, and voiceprints enrolled with another encoder only are listed as needing
 * re-enrollment with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { loadManifest } from '../inference/registry.ts';
import { shippedCalibration } from './calibration.ts';
import { reenrollmentNeed, VOICEPRINT_MODEL_ENV, voiceprintModelId, withFallback } from './models.ts';

const manifestChoice = (): string => loadManifest().roles.embedding.voiceprint!;
const versionOf = (id: string): string => loadManifest().models.find((m) => m.id === id)!.version;

describe('voiceprint encoder choice', () => {
  const saved = process.env[VOICEPRINT_MODEL_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[VOICEPRINT_MODEL_ENV];
    else process.env[VOICEPRINT_MODEL_ENV] = saved;
  });

  it("is the manifest's voiceprint model, which ships a calibration for its version", () => {
    delete process.env[VOICEPRINT_MODEL_ENV];
    const id = manifestChoice();
    expect(voiceprintModelId()).toBe(id);
    expect(shippedCalibration(id, versionOf(id))).not.toBeNull();
  });

  it('falls back to encoder v1 (calibrated) when the v2 file is absent, and to nothing uncalibrated', () => {
    const v2 = 'callscope_spk_encoder_v2';
    const v1 = 'callscope_spk_encoder_v1';
    expect(withFallback(v2, ['fbank-stats', v1, v2])).toBe(v2);
    expect(withFallback(v2, ['fbank-stats', v1])).toBe(v1);
    // fbank-stats has no calibration file: no silent switch to it; loading v2 then names the file
    expect(withFallback(v2, ['fbank-stats'])).toBe(v2);
    expect(withFallback(undefined, ['fbank-stats'])).toBeUndefined();
  });

  it('an explicit CALLSCOPE_VOICEPRINT_MODEL wins, and a non-embedding id is refused by name', () => {
    process.env[VOICEPRINT_MODEL_ENV] = 'callscope_spk_encoder_v1';
    expect(voiceprintModelId()).toBe('callscope_spk_encoder_v1');
    process.env[VOICEPRINT_MODEL_ENV] = 'silero-vad-v6';
    expect(() => voiceprintModelId()).toThrow(/voiceprint model "silero-vad-v6".*not an embedding model/);
  });
});

describe('needs re-enrollment', () => {
  const emb = (modelId: string, modelVersion: string) => ({
    id: 1,
    modelId,
    modelVersion,
    dim: 4,
    source: 'file:/a.wav',
    speechS: 10,
    snrDb: null,
    createdAt: '2026-12-04T00:00:00.000Z',
  });

  it('a voiceprint holding only encoder v1 needs re-enrollment for v2, with the reason', () => {
    const need = reenrollmentNeed(
      { embeddings: [emb('callscope_spk_encoder_v1', '1.0.0'), emb('fbank-stats', '1')] },
      { id: 'callscope_spk_encoder_v2', version: '1.0.0' },
    );
    expect(need).toMatchObject({ modelId: 'callscope_spk_encoder_v2', modelVersion: '1.0.0' });
    expect(need!.reason).toMatch(
      /identification uses callscope_spk_encoder_v2 1\.0\.0, and this voiceprint only holds callscope_spk_encoder_v1 1\.0\.0, fbank-stats 1 embedding\(s\).*enroll this person again/,
    );
    expect(
      reenrollmentNeed(
        { embeddings: [emb('callscope_spk_encoder_v2', '1.0.0')] },
        { id: 'callscope_spk_encoder_v2', version: '1.0.0' },
      ),
    ).toBeNull();
    // another version of the same encoder is not comparable either
    expect(
      reenrollmentNeed(
        { embeddings: [emb('callscope_spk_encoder_v2', '0.9.0')] },
        { id: 'callscope_spk_encoder_v2', version: '1.0.0' },
      )!.reason,
    ).toMatch(/an older version of that encoder/);
  });
});

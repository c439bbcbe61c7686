/**
 * The project-trained models (models/MODEL_CARD.md) load and run in the engine on real dev audio:
 * the speaker encoder separates speakers, the age/gender model gives the documented gender on a
 * fixed set of dev clips (a regression check, not an accuracy measure: version 1.1.0 gets 74 of
 * the 85 adult dev clips long enough for an estimate right in the engine, 87 %, see MODEL_CARD.md).
 * The set includes clips version 1.0.0 (fbank only) got wrong and the pitch statistics fix: vctk
 * p225 (170 Hz, was "male") and the Azure Katie enrollment clip (was "child").
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { devFile, useSharedModels } from '../../test-support.ts';
import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { computeFbank } from '../audio/fbank.ts';
import { dot, l2normalize } from '../diarization/clustering.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../diarization/embedding.ts';
import { createAgeGenderEstimator, type AgeGenderEstimator } from './age-gender.ts';

async function fbankOf(rel: string): Promise<{ feats: Float32Array; seconds: number; audio: Float32Array }> {
  const file = devFile(rel);
  const parts: number[] = [];
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) parts.push(...x);
  const audio = Float32Array.from(parts);
  return { feats: computeFbank(audio), seconds: audio.length / 16000, audio };
}

let encoder: EmbeddingBackend;
let ageGender: AgeGenderEstimator;

beforeAll(async () => {
  useSharedModels();
  encoder = await createEmbeddingBackend('callscope_spk_encoder_v1');
  const ag = await createAgeGenderEstimator('callscope_agegender_v1');
  if (!ag) throw new Error('age/gender model missing');
  ageGender = ag;
});

describe('project-trained models on dev audio', () => {
  it('the encoder puts two clips of one speaker closer than clips of two speakers', async () => {
    expect(encoder.dim).toBe(228);
    const emb = async (rel: string): Promise<Float32Array> =>
      l2normalize(await encoder.embed((await fbankOf(rel)).feats));
    const a1 = await emb('voiceprint/librispeech_1688/1688-142285-0000.flac');
    const a2 = await emb('voiceprint/librispeech_1688/1688-142285-0004.flac');
    const b1 = await emb('voiceprint/librispeech_1998/1998-15444-0000.flac');
    const b2 = await emb('voiceprint/librispeech_1998/1998-15444-0004.flac');
    const same = Math.min(dot(a1, a2), dot(b1, b2));
    const diff = Math.max(dot(a1, b1), dot(a1, b2), dot(a2, b1), dot(a2, b2));
    expect(same, `same ${same.toFixed(3)} vs different ${diff.toFixed(3)}`).toBeGreaterThan(diff);
  });

  it.each([
    ['agegender/saa_english87.mp3', 'female'],
    ['agegender/saa_dutch4.mp3', 'male'],
    ['agegender/so762_spk9614_096140012.wav', 'female'],
    ['agegender/so762_spk1012_010120212.wav', 'male'],
    ['voiceprint/azure_steve/enrollment_audio_steve.wav', 'male'],
    ['voiceprint/azure_katie/enrollment_audio_katie.wav', 'female'],
    ['agegender/vctk_p225_003.wav', 'female'],
    ['agegender/vctk_p226_003.wav', 'male'],
    ['voiceprint/librispeech_1998/1998-15444-0003.flac', 'female'],
    ['voiceprint/librispeech_2609/2609-156975-0003.flac', 'male'],
  ])('%s → %s', async (rel, gender) => {
    const { feats, seconds, audio } = await fbankOf(rel);
    const a = await ageGender.estimate(feats, seconds, audio);
    expect(a.status).toBe('estimated');
    expect(a.gender?.label).toBe(gender);
    expect(a.age!.years).toBeGreaterThan(5);
    expect(a.age!.interval[0]).toBeLessThanOrEqual(a.age!.years);
  });

  it('a child dev clip is detected as a child', async () => {
    const { feats, seconds, audio } = await fbankOf('agegender/so762_spk1418_014180100.wav');
    const a = await ageGender.estimate(feats, seconds, audio);
    expect(a.gender?.label).toBe('child');
    expect(a.age!.years).toBeLessThan(13);
  });

  it('the pitch-fused model refuses to run without the speaker audio', async () => {
    const { feats, seconds } = await fbankOf('agegender/saa_english87.mp3');
    await expect(ageGender.estimate(feats, seconds)).rejects.toThrow(/needs the speaker's 16 kHz samples/);
  });

  it('reports too little speech as undetermined instead of guessing', async () => {
    const { feats, audio } = await fbankOf('agegender/vctk_p225_003.wav');
    const a = await ageGender.estimate(feats.slice(0, 80 * 150), 1.5, audio.slice(0, 24000));
    expect(a.status).toBe('undetermined');
    expect(a.gender).toBeUndefined();
  });
});

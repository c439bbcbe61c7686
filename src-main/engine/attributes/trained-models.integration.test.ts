/**
 * The project-trained models (models/MODEL_CARD.md) load and run in the engine on real dev audio:
 * the speaker encoder separates speakers, the age/gender model gives the documented gender on a
 * fixed set of dev clips (a regression check, not an accuracy measure: on all adult dev clips the
 * engine gets 33 of 38 right, 87 %, in line with MODEL_CARD.md; the misses include vctk p225 and
 * the Azure Katie enrollment clip, taken for a child).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { devFile, useSharedModels } from '../../test-support.ts';
import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { computeFbank } from '../audio/fbank.ts';
import { dot, l2normalize } from '../diarization/clustering.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../diarization/embedding.ts';
import { createAgeGenderEstimator, type AgeGenderEstimator } from './age-gender.ts';

async function fbankOf(rel: string): Promise<{ feats: Float32Array; seconds: number }> {
  const file = devFile(rel);
  const parts: number[] = [];
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) parts.push(...x);
  const audio = Float32Array.from(parts);
  return { feats: computeFbank(audio), seconds: audio.length / 16000 };
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
  ])('%s → %s', async (rel, gender) => {
    const { feats, seconds } = await fbankOf(rel);
    const a = await ageGender.estimate(feats, seconds);
    expect(a.status).toBe('estimated');
    expect(a.gender?.label).toBe(gender);
    expect(a.age!.years).toBeGreaterThan(5);
    expect(a.age!.interval[0]).toBeLessThanOrEqual(a.age!.years);
  });

  it('reports too little speech as undetermined instead of guessing', async () => {
    const { feats } = await fbankOf('agegender/vctk_p225_003.wav');
    const a = await ageGender.estimate(feats.slice(0, 80 * 150), 1.5);
    expect(a.status).toBe('undetermined');
    expect(a.gender).toBeUndefined();
  });
});

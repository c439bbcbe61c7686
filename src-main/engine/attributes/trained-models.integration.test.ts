/**
 * The project-trained models (models/MODEL_CARD.md) load and run in the engine on real dev audio:
 * the speaker encoder separates speakers; the calibrated age/gender attributes never give a wrong
 * answered gender on a fixed set of dev clips (they may abstain), do not call older adults children
 * (1.1.0 alone called the 76-year-old woman a child) and give age intervals that hold the true age
 * of a 68-, 76- and 79-year-old and of a 7-year-old.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { devFile, useSharedModels } from '../../test-support.ts';
import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { computeFbank } from '../audio/fbank.ts';
import { dot, l2normalize } from '../diarization/clustering.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../diarization/embedding.ts';
import { createAgeGenderEstimator } from './age-gender.ts';
import type { AgeGenderEstimator } from './estimator.ts';

async function fbankOf(rel: string): Promise<{ feats: Float32Array; seconds: number; audio: Float32Array }> {
  const file = devFile(rel);
  const parts: number[] = [];
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) parts.push(...x);
  const audio = Float32Array.from(parts);
  return { feats: computeFbank(audio), seconds: audio.length / 16000, audio };
}

let encoder: EmbeddingBackend;
let ageGender: AgeGenderEstimator;
const answeredCount = { abstained: 0 };
/**
 * At most this many of the ten adult clips may be left unanswered ("uncertain"): the calibration
 * answers ~85 % of dev adult speakers out of fold (models/MODEL_CARD.md) and 8 of these 10 (the
 * two it leaves are a 170 Hz woman and a 139 Hz man); the previous calibration answered 3.
 */
const ABSTAIN_MAX = 3;

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
  ])('%s → %s (or abstains)', async (rel, gender) => {
    const { feats, seconds, audio } = await fbankOf(rel);
    const a = await ageGender.estimate(feats, seconds, audio);
    expect(a.status).toBe('estimated');
    expect(a.gender?.answered).toBeTypeOf('boolean');
    if (a.gender!.answered) expect(a.gender!.label).toBe(gender);
    else answeredCount.abstained++;
    expect(a.age!.coverage).toBe(0.8);
    expect(a.age!.interval[0]).toBeLessThanOrEqual(a.age!.years);
    expect(a.age!.pointShown).toBe(a.age!.interval[1] - a.age!.interval[0] < 20);
  });

  it('answers most of the clear adult clips above', () => {
    expect(answeredCount.abstained).toBeLessThanOrEqual(ABSTAIN_MAX);
  });

  it('does not call older adults children, and their age interval holds their age', async () => {
    // 1.1.0 alone: the 76-year-old woman was "child" (p 0.56), the 68-year-old man 24.6 y [6, 34]
    for (const [rel, age] of [
      ['agegender/saa_english47.mp3', 76],
      ['agegender/saa_english181.mp3', 68],
      ['agegender/saa_english17.mp3', 79],
    ] as const) {
      const { feats, seconds, audio } = await fbankOf(rel);
      const a = await ageGender.estimate(feats, seconds, audio);
      expect(a.gender!.label === 'child' && a.gender!.answered, rel).toBe(false);
      expect(a.age!.interval[0], rel).toBeLessThanOrEqual(age);
      expect(a.age!.interval[1], rel).toBeGreaterThanOrEqual(age);
      expect(a.age!.pointShown, rel).toBe(false);
    }
  });

  it('a child dev clip gets a child-range age interval', async () => {
    const { feats, seconds, audio } = await fbankOf('agegender/so762_spk1418_014180100.wav');
    const a = await ageGender.estimate(feats, seconds, audio);
    expect(a.gender!.probs.child).toBeGreaterThan(0.5);
    expect(a.age!.years).toBeLessThan(13);
    expect(a.age!.interval[0]).toBeLessThanOrEqual(7);
    expect(a.age!.interval[1]).toBeGreaterThanOrEqual(7);
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

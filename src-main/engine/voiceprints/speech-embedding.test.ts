/**
 * Enrollment embeds one recording with several encoders at once (embedSpeechWith): each encoder
 * must see the recording's own features. Regression: the ONNX encoder normalises its input in
 * place (CMN), and the fbank-stats embedding computed after it on the same array came out wrong.
 * Real models, real dev recording.
 */
import { beforeAll, expect, it } from 'vitest';

import { createEmbeddingBackend } from '../diarization/embedding.ts';
import { type EngineModels, loadEngineModels } from '../pipeline/analyze-file.ts';
import { devFile, useSharedModels } from '../../test-support.ts';
import { embedSpeech, embedSpeechWith } from './speech-embedding.ts';

let models: EngineModels;
beforeAll(async () => {
  useSharedModels();
  models = await loadEngineModels({ ageGender: null, segmentationThread: 'main' });
});

it('every encoder of a multi-encoder enrollment gets the same embedding as alone', async () => {
  const file = devFile('voiceprint/azure_katie/enrollment_audio_katie.wav');
  const encoder = await createEmbeddingBackend('callscope_spk_encoder_v1');
  const stats = await createEmbeddingBackend('fbank-stats');
  const both = await embedSpeechWith([file], models.vadModel, [encoder, stats]);
  expect(both.map((e) => e.modelId)).toEqual(['callscope_spk_encoder_v1', 'fbank-stats']);
  const alone = await embedSpeech([file], { vadModel: models.vadModel, embedder: stats });
  const again = await embedSpeech([file], { vadModel: models.vadModel, embedder: encoder });
  expect(Array.from(both[1].vector)).toEqual(Array.from(alone.vector));
  expect(Array.from(both[0].vector)).toEqual(Array.from(again.vector));
  expect(both[0].speechS).toBeGreaterThan(8);
});

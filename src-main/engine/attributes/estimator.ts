/**
 * The age/gender role's shared vocabulary, imported by every estimator (the project's fbank model
 * in `age-gender.ts`, the audeering waveform adapter in `wav2vec2-age-gender.ts`) and by the
 * factory that picks one, so that neither estimator module imports the other: the
 * {@link AgeGenderEstimator} interface, the speech minimum below which an attribute is reported
 * as undetermined, and the age brackets shown to users.
 */
import type { ModelUse, SpeakerAttributes } from '../../../src-shared/contracts/analysis.ts';

/** Minimum clean speech for an estimate, seconds. */
export const MIN_ATTRIBUTE_SPEECH_S = 3;

/** Age brackets reported to users (upper bounds exclusive except the last). */
export function ageBracket(years: number): string {
  if (years < 13) return 'under 13';
  if (years < 18) return '13–17';
  if (years < 31) return '18–30';
  if (years < 46) return '31–45';
  if (years < 61) return '46–60';
  return '60+';
}

/** An age/gender estimator. */
export interface AgeGenderEstimator {
  readonly use: ModelUse;
  /**
   * @param feats raw fbank [T, 80] of one speaker; modified in place.
   * @param speechS seconds of clean speech behind `feats`.
   * @param audio the same speech as 16 kHz samples in [-1, 1]: waveform models (the wav2vec2
   *   adapter) and fbank models with a `pitch_stats` input need it.
   *   Too little voiced audio gives neutral pitch statistics (audio/pitch.ts `pitchStats`).
   * @throws Error when the model needs `audio` and none is given.
   */
  estimate(feats: Float32Array, speechS: number, audio?: Float32Array): Promise<SpeakerAttributes>;
}

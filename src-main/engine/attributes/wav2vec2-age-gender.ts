/**
 * Adapter for waveform age/gender models with the signature of audeering's
 * `wav2vec2-large-robust-6-ft-age-gender` ONNX export (Zenodo record 7761387, loaded upstream by
 * `audonnx`): input `signal` float32 [1, N], 16 kHz mono; outputs `logits_age` [1, 1] (age / 100,
 * roughly 0…1), `logits_gender` [1, 3] (female, male, child: softmax probabilities in the upstream
 * model's `forward`) and `hidden_states` [1, 1024] (unused).
 *
 * The signal is normalised per utterance to zero mean and unit variance, as transformers'
 * `Wav2Vec2FeatureExtractor` (`do_normalize`, `zero_mean_unit_var_norm`: (x − mean) / √(var + 1e−7))
 * does for the model card's PyTorch usage. audonnx passes the signal unchanged (`transform: None`
 * in model.yaml); should the export normalise internally, normalising twice changes nothing, so
 * the adapter is right either way. `config.normalize: false` in the manifest turns it off.
 */
import type { ModelUse, SpeakerAttributes } from '../../../src-shared/contracts/analysis.ts';
import type { OnnxModel } from '../inference/onnx.ts';
import { type AgeGenderEstimator, ageBracket, MIN_ATTRIBUTE_SPEECH_S } from './estimator.ts';
import { round } from '../../../src-shared/math.ts';

/** Sample rate the model expects, Hz. */
export const WAV2VEC2_SAMPLE_RATE = 16000;

/** Gender output order of the audeering model (its model card: female, male, child). */
export const AUDEERING_GENDER_LABELS = ['female', 'male', 'child'] as const;

type GenderLabel = (typeof AUDEERING_GENDER_LABELS)[number];

/** Options of the adapter; each can be set in the manifest entry's `config`. */
export interface Wav2vec2AgeGenderConfig {
  /** Seconds of speech fed to the model at most (cost grows with length; default 20). */
  maxSeconds: number;
  /** Zero-mean, unit-variance normalisation of the signal (default true). */
  normalize: boolean;
  /**
   * Half-width of the reported age interval, years. The model gives no per-utterance
   * uncertainty; the default 10 is a conservative band, not a measurement (upstream reports
   * test-set MAEs below that: arXiv 2306.16962).
   */
  ageHalfWidthYears: number;
  /** Order of the `logits_gender` outputs (default {@link AUDEERING_GENDER_LABELS}). */
  genderLabels: readonly GenderLabel[];
}

export const DEFAULT_WAV2VEC2_CONFIG: Wav2vec2AgeGenderConfig = {
  maxSeconds: 20,
  normalize: true,
  ageHalfWidthYears: 10,
  genderLabels: AUDEERING_GENDER_LABELS,
};

/**
 * Zero-mean, unit-variance copy of a signal: (x − mean) / √(var + 1e−7), the formula of
 * transformers' `Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm`.
 */
export function normalizeSignal(x: Float32Array): Float32Array {
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / Math.max(x.length, 1);
  let sq = 0;
  for (const v of x) sq += (v - mean) * (v - mean);
  const scale = 1 / Math.sqrt(sq / Math.max(x.length, 1) + 1e-7);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean) * scale;
  return out;
}

/** Softmax of scores unless they already are a probability distribution (non-negative, sum 1 ± 1e−3). */
export function asProbabilities(v: ArrayLike<number>): number[] {
  const a = Array.from(v);
  const sum = a.reduce((s, x) => s + x, 0);
  if (a.every((x) => x >= 0) && Math.abs(sum - 1) <= 1e-3) return a;
  const max = Math.max(...a);
  const e = a.map((x) => Math.exp(x - max));
  const z = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / z);
}

/** Reads the adapter options from a manifest entry's `config`/`io`, ignoring malformed values. */
export function wav2vec2Config(
  config: Record<string, unknown> = {},
  io: Record<string, unknown> = {},
): Wav2vec2AgeGenderConfig {
  const labels = config.genderLabels ?? io.gender_labels;
  const validLabels =
    Array.isArray(labels) &&
    labels.length === 3 &&
    AUDEERING_GENDER_LABELS.every((l) => (labels as unknown[]).includes(l));
  return {
    maxSeconds:
      typeof config.maxSeconds === 'number' && config.maxSeconds > 0
        ? config.maxSeconds
        : DEFAULT_WAV2VEC2_CONFIG.maxSeconds,
    normalize: typeof config.normalize === 'boolean' ? config.normalize : DEFAULT_WAV2VEC2_CONFIG.normalize,
    ageHalfWidthYears:
      typeof config.ageHalfWidthYears === 'number'
        ? config.ageHalfWidthYears
        : DEFAULT_WAV2VEC2_CONFIG.ageHalfWidthYears,
    genderLabels: validLabels ? (labels as GenderLabel[]) : DEFAULT_WAV2VEC2_CONFIG.genderLabels,
  };
}

/** The audeering-style waveform age/gender estimator (see the module doc for the I/O contract). */
export class Wav2vec2AgeGender implements AgeGenderEstimator {
  private constructor(
    private readonly model: OnnxModel,
    readonly use: ModelUse,
    readonly config: Wav2vec2AgeGenderConfig,
  ) {}

  /**
   * Wraps a model loaded by manifest id (options from its entry's `config` and `io`).
   * @throws Error when the file lacks the `signal` input or an output.
   */
  static fromManifestModel(model: OnnxModel): Wav2vec2AgeGender {
    const entry = model.resolved!.entry;
    const use: ModelUse = {
      role: 'agegender',
      id: entry.id,
      version: entry.version,
      sha256: entry.sha256,
      provider: model.provider,
    };
    return Wav2vec2AgeGender.fromModel(model, use, wav2vec2Config(entry.config, entry.io));
  }

  /**
   * Wraps a loaded model (manifest model or a file loaded by path).
   * @throws Error when the file lacks the `signal` input or the `logits_age` / `logits_gender` outputs.
   */
  static fromModel(
    model: OnnxModel,
    use: ModelUse,
    config: Wav2vec2AgeGenderConfig = DEFAULT_WAV2VEC2_CONFIG,
  ): Wav2vec2AgeGender {
    if (!model.inputNames.includes('signal')) {
      throw new Error(
        `age/gender model ${use.id} must have an input "signal" [1, N]; has ${model.inputNames.join(', ')}`,
      );
    }
    for (const name of ['logits_age', 'logits_gender']) {
      if (!model.outputNames.includes(name))
        throw new Error(`age/gender model ${use.id} lacks output "${name}"`);
    }
    return new Wav2vec2AgeGender(model, use, config);
  }

  /**
   * Estimates age and gender from the speaker's waveform (the fbank `feats` are not used).
   * Without `audio` (callers that only keep fbank, e.g. live monitoring) or with less than
   * {@link MIN_ATTRIBUTE_SPEECH_S} of speech the result is `undetermined` with the reason.
   */
  async estimate(_feats: Float32Array, speechS: number, audio?: Float32Array): Promise<SpeakerAttributes> {
    if (!audio) {
      return {
        status: 'undetermined',
        speechUsedS: 0,
        reason: `${this.use.id} needs the speaker's waveform, which this analysis does not keep`,
      };
    }
    const seconds = Math.min(speechS, audio.length / WAV2VEC2_SAMPLE_RATE);
    if (seconds < MIN_ATTRIBUTE_SPEECH_S) {
      return {
        status: 'undetermined',
        speechUsedS: round(seconds, 1),
        reason: `only ${seconds.toFixed(1)} s of clean speech (needs ${MIN_ATTRIBUTE_SPEECH_S} s)`,
      };
    }
    const n = Math.min(audio.length, Math.round(this.config.maxSeconds * WAV2VEC2_SAMPLE_RATE));
    const slice = audio.subarray(0, n);
    const signal = this.config.normalize ? normalizeSignal(slice) : Float32Array.from(slice);
    const out = await this.model.run({ signal: { data: signal, dims: [1, n] } });
    const probs = asProbabilities(out.logits_gender.data);
    const p = Object.fromEntries(this.config.genderLabels.map((l, i) => [l, probs[i]])) as Record<
      GenderLabel,
      number
    >;
    const years = Math.max(0, out.logits_age.data[0] * 100);
    const label: GenderLabel =
      p.child >= p.female && p.child >= p.male ? 'child' : p.female >= p.male ? 'female' : 'male';
    const usedS = n / WAV2VEC2_SAMPLE_RATE;
    const w = this.config.ageHalfWidthYears;
    return {
      status: 'estimated',
      speechUsedS: round(usedS, 1),
      gender: {
        label,
        probs: { female: round(p.female, 3), male: round(p.male, 3), child: round(p.child, 3) },
      },
      age: {
        years: round(years, 1),
        bracket: ageBracket(years),
        interval: [round(Math.max(0, years - w), 1), round(years + w, 1)],
      },
      // same rule as the fbank model: more speech → more trust (saturating at 20 s) × top posterior
      confidence: round(Math.max(p.female, p.male, p.child) * Math.min(1, usedS / 20), 3),
    };
  }
}

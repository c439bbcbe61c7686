/**
 * Age/gender estimation per speaker behind one role interface. The default estimator is the
 * manifest's `agegender` model: input `feats` float32 [1, T, 80] (CMN'd Kaldi fbank, as the
 * encoder), outputs `gender_probs` [1, 3] (female, male, child), `age_years` [1, 1] and
 * `age_std` [1, 1] (years). Since version 1.1.0 the model also takes `pitch_stats` float32
 * [1, K]: the speaker's F0 statistics ({@link pitchStats}, YIN on the 16 kHz samples), so the
 * caller must pass the speaker's audio. Optional waveform models (audeering wav2vec2) go through
 * `wav2vec2-age-gender.ts`. Below `MIN_ATTRIBUTE_SPEECH_S` of clean speech the attribute is
 * reported as undetermined instead of guessed. For the calibrated model version
 * ({@link calibrationFor}) the outputs go through `calibration.ts`: calibrated probabilities,
 * `answered` (abstention), a child veto on an adult-range spectral envelope and an 80 % age
 * interval (`coverage`, `pointShown`). The role's shared types and constants live in
 * `estimator.ts` (imported by both estimators, so neither imports the other).
 */
import type {
  ModelUse,
  ProviderSettings,
  SpeakerAttributes,
} from '../../../src-shared/contracts/analysis.ts';
import { applyCmn, FB_DIM } from '../audio/fbank.ts';
import { PITCH_STATS_DIM, pitchStats, trackPitch } from '../audio/pitch.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { activeModelId } from '../inference/registry.ts';
import { AGEGENDER_CALIBRATION } from './agegender-calibration.generated.ts';
import { type AgeGenderCalibration, calibrateAttributes, voicedSpectralShape } from './calibration.ts';
import { type AgeGenderEstimator, ageBracket, MIN_ATTRIBUTE_SPEECH_S } from './estimator.ts';
import { Wav2vec2AgeGender } from './wav2vec2-age-gender.ts';
import { round } from '../../../src-shared/math.ts';

/**
 * Evidence threshold of live monitoring, seconds of a speaker's clean speech: before it, the live
 * view reports age/gender as `undetermined` (with the reason) instead of a first guess, so no
 * label such as "child, confidence 0.12" appears in the first seconds of a call. On dev clips cut
 * to 3 / 5 / 8 s the calibrated answers covered 81 / 92 / 91 % of the adult speakers at
 * 97.2 / 96.6 / 96.8 % accuracy out of fold, no adult called "child"
 * (`training/calibrate_ag.py --crops`, models/MODEL_CARD.md); 8 s is the conservative end.
 */
export const LIVE_ATTRIBUTE_EVIDENCE_S = 8;

/**
 * The live attribute state for `speechS` seconds of a speaker's clean speech below
 * {@link LIVE_ATTRIBUTE_EVIDENCE_S}: `undetermined` with the reason; null at or above it (estimate).
 */
export function liveAttributeGate(speechS: number): SpeakerAttributes | null {
  if (speechS >= LIVE_ATTRIBUTE_EVIDENCE_S) return null;
  return {
    status: 'undetermined',
    speechUsedS: round(speechS, 1),
    reason: `${speechS.toFixed(1)} s of speech so far; age and gender are estimated from ${LIVE_ATTRIBUTE_EVIDENCE_S} s`,
  };
}

/** ONNX age/gender model (see the module doc for the I/O contract). */
export class OnnxAgeGender implements AgeGenderEstimator {
  private constructor(
    private readonly model: OnnxModel,
    readonly use: ModelUse,
    /** The model takes `pitch_stats` [1, K] besides `feats` (version ≥ 1.1.0). */
    readonly needsPitch: boolean,
    /** Calibration of this model's outputs ({@link calibrationFor}), or null. */
    readonly calibration: AgeGenderCalibration | null = null,
  ) {}

  /**
   * @param providers execution-provider order (default: environment, then CPU).
   * @throws ModelNotFoundError / Error when the file is missing or has the wrong outputs.
   */
  static async create(id: string, providers?: ProviderSettings): Promise<OnnxAgeGender> {
    return OnnxAgeGender.fromModel(
      await OnnxModel.load(id, { intraOpThreads: 1, role: 'agegender', providers }),
      id,
    );
  }

  /**
   * Wraps a loaded manifest model; a `pitch_stats` input (besides `feats`) switches the pitch
   * statistics on. @throws Error when it lacks one of the outputs or has an unknown input.
   */
  static fromModel(model: OnnxModel, id: string): OnnxAgeGender {
    for (const name of ['gender_probs', 'age_years', 'age_std']) {
      if (!model.outputNames.includes(name)) throw new Error(`age/gender model ${id} lacks output "${name}"`);
    }
    const unknown = model.inputNames.filter((n) => n !== 'feats' && n !== 'pitch_stats');
    if (!model.inputNames.includes('feats') || unknown.length) {
      throw new Error(
        `age/gender model ${id} has inputs [${model.inputNames.join(', ')}]; expected feats (+ pitch_stats)`,
      );
    }
    const entry = model.resolved!.entry;
    return new OnnxAgeGender(
      model,
      {
        role: 'agegender',
        id,
        version: entry.version,
        sha256: entry.sha256,
        provider: model.provider,
      },
      model.inputNames.includes('pitch_stats'),
      calibrationFor(id, entry.version),
    );
  }

  async estimate(feats: Float32Array, speechS: number, audio?: Float32Array): Promise<SpeakerAttributes> {
    if (this.needsPitch && !audio) {
      throw new Error(
        `age/gender model ${this.use.id} needs the speaker's 16 kHz samples for its pitch_stats input; none were given`,
      );
    }
    const frames = feats.length / FB_DIM;
    if (speechS < MIN_ATTRIBUTE_SPEECH_S || frames < 50) {
      return {
        status: 'undetermined',
        speechUsedS: round(speechS, 1),
        reason: `only ${speechS.toFixed(1)} s of clean speech (needs ${MIN_ATTRIBUTE_SPEECH_S} s)`,
      };
    }
    const track = this.needsPitch ? trackPitch(audio!) : null;
    const shape = track && this.calibration ? voicedSpectralShape(feats, track) : null;
    applyCmn(feats);
    const inputs: Parameters<OnnxModel['run']>[0] = { feats: { data: feats, dims: [1, frames, FB_DIM] } };
    const pitch = track ? pitchStats(track) : null;
    if (pitch) inputs.pitch_stats = { data: pitch, dims: [1, PITCH_STATS_DIM] };
    const out = await this.model.run(inputs);
    const [female, male, child] = out.gender_probs.data;
    const years = out.age_years.data[0];
    // more speech → more trust, saturating at 20 s; times the gender posterior's top probability
    const trust = Math.min(1, speechS / 20);
    if (this.calibration && pitch && shape) {
      const c = calibrateAttributes(
        { probs: { female, male, child }, ageYears: years, pitch, shape },
        this.calibration,
      );
      const p = c.gender.probs;
      return {
        status: 'estimated',
        speechUsedS: round(speechS, 1),
        gender: c.gender,
        age: c.age,
        confidence: round(Math.max(p.female, p.male, p.child) * trust, 3),
      };
    }
    const std = Math.max(out.age_std.data[0], 1);
    const label = child >= female && child >= male ? 'child' : female >= male ? 'female' : 'male';
    const top = Math.max(female, male, child);
    return {
      status: 'estimated',
      speechUsedS: round(speechS, 1),
      gender: { label, probs: { female: round(female, 3), male: round(male, 3), child: round(child, 3) } },
      age: {
        years: round(years, 1),
        bracket: ageBracket(years),
        interval: [round(Math.max(0, years - 1.64 * std), 1), round(years + 1.64 * std, 1)],
      },
      confidence: round(top * trust, 3),
    };
  }
}

/**
 * The calibration for a model file, or null when none was fitted on its outputs (another id or
 * version, e.g. the 1.0.0 file without `pitch_stats`): such a model's outputs are reported raw,
 * without `answered` / `coverage` (as results stored before calibration).
 */
export function calibrationFor(id: string, version: string): AgeGenderCalibration | null {
  const c = AGEGENDER_CALIBRATION;
  return c.model === id && c.modelVersion === version ? c : null;
}

/**
 * The age/gender estimator for a manifest id (default: the role's default), or null when the role
 * has no default. The adapter follows the file's inputs: `signal` → the wav2vec2 waveform adapter
 * ({@link Wav2vec2AgeGender}, audeering), otherwise the fbank model of this module.
 * @param providers execution-provider order (default: environment, then CPU).
 * @throws ModelNotFoundError / Error when the file is missing or has the wrong I/O.
 */
export async function createAgeGenderEstimator(
  id?: string | null,
  providers?: ProviderSettings,
): Promise<AgeGenderEstimator | null> {
  const chosen = id === undefined ? activeModelId('agegender') : id;
  if (!chosen) return null;
  const model = await OnnxModel.load(chosen, { intraOpThreads: 1, role: 'agegender', providers });
  if (model.inputNames.includes('signal')) return Wav2vec2AgeGender.fromManifestModel(model);
  return OnnxAgeGender.fromModel(model, chosen);
}

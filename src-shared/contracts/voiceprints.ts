/**
 * Voiceprints contract: the local library of known voices (biometric data, kept only with consent,
 * hard-deleted on request), enrollment, open-set identification and the versioned export file.
 * Defined once; the store, CLI, engine service and renderer import it. Pure TypeScript.
 */

/** How consent to keep a voiceprint was given. */
export interface Consent {
  /** ISO 8601 time the consent was recorded. */
  givenAt: string;
  /** Free text: how and by whom consent was given, e.g. `verbal, recorded call 2024-05-01`. */
  how: string;
}

/** One stored embedding of a voiceprint (the vector itself never leaves the store/engine). */
export interface VoiceprintEmbeddingInfo {
  id: number;
  /** Embedding model (encoder) id from models/manifest.json, e.g. `fbank-stats`. */
  modelId: string;
  modelVersion: string;
  /** Embedding dimension. */
  dim: number;
  /** Where the speech came from, e.g. `file:/a.wav[10-40 s]` or `call:12/S1`. */
  source: string;
  /** Seconds of VAD speech the embedding was computed from (quality weight). */
  speechS: number;
  /** SNR of the source speech, dB; null when unknown. */
  snrDb: number | null;
  /** ISO 8601. */
  createdAt: string;
}

/** A known voice. */
export interface Voiceprint {
  id: number;
  /**
   * Stable id across libraries (kept by export and import, so importing a file twice adds
   * nothing); absent in data of older versions.
   */
  uid?: string;
  name: string;
  notes: string;
  consent: Consent;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  embeddings: VoiceprintEmbeddingInfo[];
  /**
   * Set when this voiceprint holds no embedding of the encoder identification uses (model id +
   * version), so it can never be named until the person is enrolled again; `reason` says which
   * encoders it holds. Null/absent: identifiable. Filled by the Library service and the CLI.
   */
  needsReenrollment?: ReenrollmentNeed | null;
}

/** Why a voiceprint must be enrolled again before it can be identified. */
export interface ReenrollmentNeed {
  /** The encoder identification uses, which this voiceprint lacks. */
  modelId: string;
  modelVersion: string;
  /** Human-readable reason, e.g. `identification uses X 2.0, this voiceprint only holds Y 1`. */
  reason: string;
}

/** Outcome of identifying one speaker (open set). */
export type IdentificationStatus = 'known' | 'ambiguous' | 'unknown';

/**
 * The score identification decisions are made on: the cosine similarity itself, or its AS-norm
 * (adaptive symmetric score normalisation against an impostor cohort of the encoder; a
 * dimensionless z-score-like value, typically −3…15).
 */
export type ScoreKind = 'cosine' | 'as-norm';

/** A scored candidate voiceprint. */
export interface Candidate {
  voiceprintId: number;
  name: string;
  /** Cosine similarity of the L2-normalised embeddings, in [-1, 1]. */
  similarity: number;
  /** Decision score (see `Identification.scoring`); equals `similarity` for `cosine`. */
  score: number;
}

/** The identification of one speaker against the library. */
export interface Identification {
  status: IdentificationStatus;
  /** Display label: the name (`known`), `Katie?` style `A or B` (`ambiguous`) or `Unknown N`. */
  label: string;
  /** Best candidate (null when the library holds no voiceprint of this model). */
  best: Candidate | null;
  /** Runner-up (a different voiceprint), when any. */
  runnerUp: Candidate | null;
  /** Threshold used, on the decision score, and the embedding model it belongs to. */
  threshold: number;
  /** Which score `threshold` and `Candidate.score` are (absent in results of older versions: cosine). */
  scoring?: ScoreKind;
  modelId: string;
  /**
   * Calibrated probability that the best candidate is the same speaker, in [0, 1] (logistic
   * calibration of the decision score; absent where the encoder has no calibration).
   */
  probability?: number;
  /**
   * Why there is no candidate (`best` null), e.g. no voiceprint of the library holds an embedding
   * of this encoder; or why an `unknown` answer names a closest candidate only as a hint.
   */
  reason?: string;
}

/** Version of the voiceprint export file format. */
export const VOICEPRINT_EXPORT_VERSION = 1;

/** Versioned export file: `callscope voiceprints export FILE`. Embeddings are base64 float32 LE. */
export interface VoiceprintExportFile {
  format: 'callscope-voiceprints';
  version: typeof VOICEPRINT_EXPORT_VERSION;
  exportedAt: string;
  voiceprints: {
    /** Stable id (absent in files of older versions: a content id is derived on import). */
    uid?: string;
    name: string;
    notes: string;
    consent: Consent;
    createdAt: string;
    updatedAt: string;
    embeddings: {
      modelId: string;
      modelVersion: string;
      dim: number;
      source: string;
      speechS: number;
      snrDb: number | null;
      createdAt: string;
      /** float32 little-endian, base64. */
      vector: string;
    }[];
  }[];
}

/** Service interface (engine side implements it; CLI and UI call it). */
export interface VoiceprintsService {
  list(): Promise<Voiceprint[]>;
  /** Enroll from a file or a time range of a file; refuses below the minimum speech. */
  enrollFromFile(req: {
    name: string;
    consent: string;
    notes?: string;
    files: string[];
    fromS?: number;
    toS?: number;
  }): Promise<Voiceprint>;
  /** Enroll ("remember this voice") from a speaker of a stored call. */
  enrollFromCall(req: {
    callId: number;
    speakerId: string;
    name: string;
    consent: string;
  }): Promise<Voiceprint>;
  rename(id: number, name: string): Promise<Voiceprint>;
  merge(keepId: number, goneId: number): Promise<Voiceprint>;
  /** Moves one embedding into a new voiceprint. */
  splitEmbedding(embeddingId: number, newName: string): Promise<Voiceprint>;
  delete(id: number): Promise<void>;
}

/** Minimum seconds of VAD speech for an enrollment. */
export const MIN_ENROLL_SPEECH_S = 8;

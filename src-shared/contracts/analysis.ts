/**
 * Analysis contract: the typed result of analysing one call (a file or, later, a live session),
 * the options that steer it and the progress events it emits. Defined once; the engine, CLI,
 * web host, Electron main/preload and renderer all import it. Pure TypeScript.
 */

/** Which side of a call a channel carries. `mono` = a single-channel (or down-mixed) recording. */
export type ChannelRole = 'mic' | 'system' | 'mono';

/** How the channels of the input are interpreted. `auto`: 1 channel → mono, 2 → mic,system. */
export type ChannelLayout = 'auto' | 'mono' | 'mic,system' | 'system,mic';

/** Pipeline stages, in order; each reports progress through {@link ProgressHook}. */
export const STAGES = [
  'decode',
  'quality',
  'vad',
  'segmentation',
  'embedding',
  'clustering',
  'attributes',
  'export',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * One progress hook for every stage (STYLE.md 10, after pyannote `pipelines/utils/hook.py`).
 * `completed`/`total` are in stage-specific units (samples, windows, embeddings); `total` may be
 * 0 when unknown. Called at most a few times per second per stage.
 */
export type ProgressHook = (stage: Stage, completed: number, total: number) => void;

/** Audio-quality flags. Thresholds are documented in `src-main/engine/audio/quality.ts`. */
export type QualityFlag = 'clipping' | 'low_volume' | 'silence' | 'low_snr' | 'narrowband';

/** Audio quality of one channel over the whole analysed span. */
export interface ChannelQuality {
  channel: ChannelRole;
  /** Fraction of samples with |x| ≥ 0.999 full scale, in [0, 1]. */
  clippingRatio: number;
  /** RMS level of the whole channel, dBFS (full-scale sine = −3 dBFS); −120 for digital silence. */
  rmsDbfs: number;
  /** RMS level of the VAD speech frames, dBFS; null when no speech. */
  speechDbfs: number | null;
  /** Estimated SNR, dB: speech-frame power over non-speech-frame power; null when undeterminable. */
  snrDb: number | null;
  /** Fraction of the channel's duration that VAD marks as speech, in [0, 1]. */
  speechRatio: number;
  flags: QualityFlag[];
}

/**
 * ONNX Runtime execution providers Callscope knows by name (onnxruntime-node's names): `cpu`
 * (always available), `cuda` and `tensorrt` (Linux/Windows x64 with the separately installed CUDA
 * provider libraries), `dml` (DirectML, Windows), `coreml` (macOS), `webgpu`.
 */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

/** Model roles; each has its own execution-provider order. */
export const MODEL_ROLES = ['vad', 'segmentation', 'embedding', 'agegender'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/**
 * Execution-provider order per role (the settings object): providers are tried in order when the
 * role's ONNX session is created, and `cpu` is always the last resort. `default` applies to roles
 * without their own entry. Example: `{ default: ['cuda', 'cpu'], vad: ['cpu'] }`.
 */
export type ProviderSettings = Partial<Record<ModelRole | 'default', ExecutionProviderName[]>>;

/** The execution provider one role's ONNX session runs on, and why (recorded in every result). */
export interface ProviderUse {
  /** Provider the session was created with, e.g. `cpu`; `none` for model-free backends. */
  name: ExecutionProviderName | 'none';
  /** The order that was asked for (after `cpu` was appended as last resort). */
  requested: ExecutionProviderName[];
  /** Providers tried before `name` and why each was skipped, in order. */
  skipped: { name: ExecutionProviderName; reason: string }[];
  /** `default` (CPU, nothing else asked), `requested`, `fallback: …` or `model-free backend`. */
  reason: string;
}

/** One model used for a role, as recorded in every result. */
export interface ModelUse {
  role: ModelRole;
  id: string;
  version: string;
  /** sha256 of the file, or null for model-free backends. */
  sha256: string | null;
  /** Execution provider of this role's session (absent in results stored before providers were recorded). */
  provider?: ProviderUse;
}

/**
 * Calibrated gender estimate. `probs` are calibrated probabilities (they sum to 1). `answered` is
 * false when the largest calibrated probability is below the model's answer threshold (or "child"
 * lacks the evidence it needs): then `label` is only the most likely class and must be shown as
 * "uncertain", never as fact. Results stored before calibration lack `answered`.
 */
export interface GenderEstimate {
  label: 'female' | 'male' | 'child';
  probs: { female: number; male: number; child: number };
  answered?: boolean;
}

/**
 * Age estimate as an interval. `interval` is `[lo, hi]` in years with nominal coverage `coverage`
 * (0.8 = the true age lies inside for 80 % of speakers, calibrated on dev folds). `years` is the
 * point estimate; `pointShown` is true only when the interval is narrower than 20 years, otherwise
 * a UI shows the interval or `bracket` (e.g. "adult, 20–80") and not the point. Results stored
 * before calibration lack `coverage` and `pointShown`.
 */
export interface AgeEstimate {
  years: number;
  bracket: string;
  interval: [number, number];
  coverage?: number;
  pointShown?: boolean;
}

/** Age/gender estimate for a speaker; filled by the attributes stage. */
export interface SpeakerAttributes {
  /** `undetermined`: not enough evidence yet (e.g. below the speech threshold) — show nothing as fact. */
  status: 'estimated' | 'undetermined' | 'not_run';
  /** Seconds of speech the estimate used. */
  speechUsedS: number;
  gender?: GenderEstimate;
  age?: AgeEstimate;
  /** Overall confidence in [0, 1]. */
  confidence?: number;
  /** Why the estimate is undetermined, when it is. */
  reason?: string;
}

/** A speaker found in the call. */
export interface Speaker {
  /** Stable id within the result, e.g. `you`, `S1`, `S2`. */
  id: string;
  /** Display label, e.g. `You`, `Speaker 1`. */
  label: string;
  channel: ChannelRole;
  /** Total speech time of this speaker, seconds. */
  speechS: number;
  attributes: SpeakerAttributes;
}

/** One speaker turn. Times are seconds from the start of the file, `0 ≤ startS < endS ≤ duration`. */
export interface Turn {
  startS: number;
  endS: number;
  speakerId: string;
  channel: ChannelRole;
  /** True when another speaker talks during part of this turn. */
  overlap: boolean;
}

/** Wall-clock time spent per stage, milliseconds. */
export type StageTimings = Partial<Record<Stage | 'total', number>>;

/** The full result of analysing one recording. Serialised as JSON by the exporters. */
export interface AnalysisResult {
  schemaVersion: 1;
  file: string;
  durationS: number;
  /** Channels of the source file, before any down-mix. */
  sourceChannels: number;
  /** Sample rate of the source file, Hz (the engine always analyses at 16 kHz). */
  sourceSampleRate: number;
  channels: ChannelRole[];
  models: ModelUse[];
  /**
   * Execution provider the ONNX models ran on, e.g. `cpu`, and why it was chosen: a summary over
   * the roles (`cuda+cpu` when they differ); each role's own choice is `models[i].provider`.
   */
  executionProvider: { name: string; reason: string };
  quality: ChannelQuality[];
  speakers: Speaker[];
  turns: Turn[];
  timingsMs: StageTimings;
  /** Real-time factor: total processing time / audio duration (lower is faster). */
  rtf: number;
  warnings: string[];
}

/** Options of a file analysis. */
export interface AnalyzeOptions {
  channels?: ChannelLayout;
  /** Exact number of speakers to find (on the diarised channel). */
  numSpeakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
  /** VAD backend for quality/self-VAD: `silero` (default) or `webrtc`. */
  vad?: 'silero' | 'webrtc';
  /** Embedding backend id from models/manifest.json, or `fbank-stats` (model-free baseline). */
  embedding?: string;
  /** Segmentation window step, seconds, in (0, 1]. */
  segmentationStepS?: number;
  /** Agglomerative clustering distance threshold (cosine distance, 0..2). */
  clusteringThreshold?: number;
}

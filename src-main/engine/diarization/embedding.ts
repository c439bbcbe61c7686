/**
 * Speaker-embedding backends behind one role interface, chosen through `models/manifest.json`:
 *  - `fbank-stats`: model-free baseline, statistics of the log-mel filterbank (usable now);
 *  - any ONNX encoder that takes Kaldi fbank [1, T, 80] and returns an embedding: the
 *    project-trained encoder (`feats`, CMN), and sherpa-onnx exports of 3D-Speaker CAM++ (`x`) and
 *    WeSpeaker ResNet34 (`feats`) configured from their ONNX metadata like sherpa-onnx does.
 */
import { applyCmn, FB_DIM, FBANK_CONFIG } from '../audio/fbank.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { activeModelId, resolveModel } from '../inference/registry.ts';
import type { ModelUse, ProviderSettings } from '../../../src-shared/contracts/analysis.ts';
import type { EmbeddingNormalization } from './clustering.ts';

const DIM = FB_DIM;

/** Computes one embedding from a set of fbank frames of one speaker. */
export interface EmbeddingBackend {
  /** Manifest id of the backend. */
  readonly id: string;
  /** Embedding dimension. */
  readonly dim: number;
  /** Minimum number of fbank frames (10 ms each) the backend needs. */
  readonly minFrames: number;
  /** Model record for results. */
  readonly use: ModelUse;
  /**
   * Clustering defaults that suit this embedding space (cosine-distance threshold and
   * normalisation), tuned on the dev diarization set; the manifest's `config` may override them.
   */
  readonly clusteringDefaults: { threshold: number; normalization: EmbeddingNormalization };
  /**
   * @param feats raw (not normalised) fbank frames [T, 80] row-major; the backend may modify it.
   * @returns an embedding (not necessarily L2-normalised), length {@link dim}.
   */
  embed(feats: Float32Array): Promise<Float32Array>;
}

/** Number of DCT coefficients kept by the baseline (c1..c24; c0 = loudness is dropped). */
const N_CEPS = 24;

/** DCT-II basis [N_CEPS, 80] for cepstra c1..c24 of an 80-bin log-mel vector. */
const DCT = (() => {
  const m = new Float64Array(N_CEPS * DIM);
  for (let k = 1; k <= N_CEPS; k++) {
    for (let n = 0; n < DIM; n++)
      m[(k - 1) * DIM + n] = Math.cos((Math.PI * k * (n + 0.5)) / DIM) * Math.sqrt(2 / DIM);
  }
  return m;
})();

/**
 * Model-free baseline: per speaker, the mean and standard deviation over frames of the MFCCs
 * c1..c24 (DCT-II of the 80 log-mel energies; c0 dropped so loudness does not count), i.e. a
 * 48-dim "MFCC statistics" vector, a weak speaker signature. The vectors are clustered as they are
 * (`clusteringDefaults.normalization` is `none`: no centring on the file mean, only the
 * L2-normalisation every mode applies) with a small cosine threshold; centring and z-scoring were
 * swept and scored worse (bench/README.md "What limits it").
 */
export class FbankStatsEmbedding implements EmbeddingBackend {
  readonly id = 'fbank-stats';
  readonly dim = 2 * N_CEPS;
  readonly minFrames = 10;
  readonly use: ModelUse = {
    role: 'embedding',
    id: 'fbank-stats',
    version: '1',
    sha256: null,
    provider: { name: 'none', requested: [], skipped: [], reason: 'model-free backend' },
  };
  /**
   * Raw statistics are all close in cosine terms; a small threshold separates speakers best on
   * dev (sweep 0.003–1.0: 0.08 gives 36.2 % DER, 0.1 36.4 %, 0.06 39.8 %; centring and
   * z-scoring both worse: bench/README.md).
   */
  readonly clusteringDefaults = { threshold: 0.08, normalization: 'none' as const };

  async embed(feats: Float32Array): Promise<Float32Array> {
    const n = feats.length / DIM;
    const sum = new Float64Array(N_CEPS);
    const sq = new Float64Array(N_CEPS);
    for (let t = 0; t < n; t++) {
      for (let k = 0; k < N_CEPS; k++) {
        let c = 0;
        for (let d = 0; d < DIM; d++) c += DCT[k * DIM + d] * feats[t * DIM + d];
        sum[k] += c;
        sq[k] += c * c;
      }
    }
    const out = new Float32Array(this.dim);
    for (let k = 0; k < N_CEPS; k++) {
      const mean = sum[k] / Math.max(n, 1);
      out[k] = mean;
      out[N_CEPS + k] = Math.sqrt(Math.max(sq[k] / Math.max(n, 1) - mean * mean, 0));
    }
    return out;
  }
}

/**
 * Shift of every log-mel value when samples are in [-1, 1] instead of int16 scale: the power
 * spectrum scales by 1/32768², so its log by −2·ln 32768 (Callscope's fbank uses int16 scale,
 * `FBANK_CONFIG.inputScale`).
 */
export const UNIT_SCALE_LOG_OFFSET = -2 * Math.log(32768);

/** How an ONNX encoder's input is prepared; from the manifest `config`, then the file's metadata. */
export interface EncoderInputConfig {
  /** Input tensor name (`feats` for Callscope/WeSpeaker, `x` for 3D-Speaker exports). */
  inputName: string;
  /** Subtract the per-utterance mean of each bin (CMN, sherpa-onnx `global-mean`). */
  cmn: boolean;
  /** Features of samples in [-1, 1] (sherpa-onnx `normalize_samples=1`), else int16 scale. */
  unitScaleSamples: boolean;
  /** Where the settings came from, for error messages and docs: `manifest`, `metadata`, `default`. */
  source: string;
}

/**
 * Derives an encoder's input preparation the way sherpa-onnx's speaker-embedding extractor does
 * (k2-fsa/sherpa-onnx `csrc/speaker-embedding-extractor-model.cc`, `…-general-impl.h`): with
 * metadata `framework` = `wespeaker` or `3d-speaker`, `normalize_samples` (WeSpeaker exports write
 * `normalize_features`; default 1 for 3d-speaker, 0 for wespeaker) selects the sample scale and
 * `feature_normalize_type` = `global-mean` turns on mean subtraction (empty: none). Without a
 * framework (Callscope's own encoder) the defaults are CMN on, int16 scale, input `feats`. The
 * manifest `config` (`cmn`, `normalizeSamples`, `inputName`) overrides both.
 * @throws Error naming the model when the metadata asks for something the engine cannot give:
 *   another framework, a sample rate other than 16 kHz, an unknown normalisation type, or an
 *   input that is not there.
 */
export function encoderInputConfig(
  id: string,
  inputNames: readonly string[],
  meta: Record<string, string>,
  cfg: Record<string, unknown> = {},
): EncoderInputConfig {
  const framework = meta.framework;
  if (framework !== undefined && framework !== 'wespeaker' && framework !== '3d-speaker') {
    throw new Error(
      `embedding model ${id}: metadata framework "${framework}" (expected wespeaker or 3d-speaker)`,
    );
  }
  if (meta.sample_rate !== undefined && Number(meta.sample_rate) !== FBANK_CONFIG.sampleRate) {
    throw new Error(
      `embedding model ${id} expects ${meta.sample_rate} Hz audio; Callscope's features are ${FBANK_CONFIG.sampleRate} Hz`,
    );
  }
  const normType = meta.feature_normalize_type ?? '';
  if (normType !== '' && normType !== 'global-mean') {
    throw new Error(`embedding model ${id}: unsupported feature_normalize_type "${normType}"`);
  }
  const rawScale = meta.normalize_samples ?? meta.normalize_features;
  const metaUnit = rawScale !== undefined ? Number(rawScale) === 1 : framework === '3d-speaker';
  const inputName =
    typeof cfg.inputName === 'string'
      ? cfg.inputName
      : inputNames.includes('feats')
        ? 'feats'
        : inputNames.length === 1
          ? inputNames[0]
          : '';
  if (!inputNames.includes(inputName)) {
    throw new Error(
      `embedding model ${id} must have one fbank input [1, T, 80] ("feats", or set config.inputName); ` +
        `has ${inputNames.join(', ')}`,
    );
  }
  const fromManifest = typeof cfg.cmn === 'boolean' || typeof cfg.normalizeSamples === 'boolean';
  return {
    inputName,
    cmn: typeof cfg.cmn === 'boolean' ? cfg.cmn : framework ? normType === 'global-mean' : true,
    unitScaleSamples:
      typeof cfg.normalizeSamples === 'boolean' ? cfg.normalizeSamples : Boolean(framework) && metaUnit,
    source: fromManifest ? 'manifest' : framework ? 'metadata' : 'default',
  };
}

/**
 * ONNX encoder backend: one fbank input [1, T, 80] (`feats`, or the only input, e.g. `x` of
 * 3D-Speaker CAM++ exports; preparation by {@link encoderInputConfig}), output: the first output,
 * [1, D] (sherpa-onnx takes the first output too).
 */
export class OnnxEmbedding implements EmbeddingBackend {
  readonly minFrames: number;
  private constructor(
    private readonly model: OnnxModel,
    readonly id: string,
    readonly dim: number,
    readonly use: ModelUse,
    readonly input: EncoderInputConfig,
    minFrames: number,
    readonly clusteringDefaults: { threshold: number; normalization: EmbeddingNormalization },
  ) {
    this.minFrames = minFrames;
  }

  /**
   * Loads an encoder listed in the manifest and probes its output dimension.
   * @param providers execution-provider order (default: environment, then CPU).
   * @throws ModelNotFoundError / Error when the file is missing or has the wrong I/O.
   */
  static async create(id: string, providers?: ProviderSettings): Promise<OnnxEmbedding> {
    const { entry } = resolveModel(id);
    const model = await OnnxModel.load(id, { intraOpThreads: 1, role: 'embedding', providers });
    const use: ModelUse = {
      role: 'embedding',
      id,
      version: entry.version,
      sha256: entry.sha256,
      provider: model.provider,
    };
    return OnnxEmbedding.fromModel(model, use, entry.config ?? {});
  }

  /**
   * Wraps a loaded encoder (manifest model or a file loaded by path), checks its metadata and
   * probes its output dimension with {@link minFrames} zero frames.
   * @param config the manifest entry's `config` (`cmn`, `normalizeSamples`, `inputName`, `minFrames`,
   *   `threshold`, `normalization`).
   * @throws Error when the input cannot be fed, the metadata is unsupported, or the metadata's
   *   `output_dim` disagrees with the probed output.
   */
  static async fromModel(
    model: OnnxModel,
    use: ModelUse,
    config: Record<string, unknown> = {},
  ): Promise<OnnxEmbedding> {
    const meta = model.metadata();
    const input = encoderInputConfig(use.id, model.inputNames, meta, config);
    const minFrames = typeof config.minFrames === 'number' ? config.minFrames : 50;
    const probe = await model.run({
      [input.inputName]: { data: new Float32Array(minFrames * DIM), dims: [1, minFrames, DIM] },
    });
    const out = probe[model.outputNames[0]];
    const dim = out.dims[out.dims.length - 1];
    if (meta.output_dim !== undefined && Number(meta.output_dim) !== dim) {
      throw new Error(
        `embedding model ${use.id}: metadata output_dim ${meta.output_dim}, but the output has ${dim}`,
      );
    }
    const clustering = {
      threshold: typeof config.threshold === 'number' ? config.threshold : 0.6,
      normalization: (config.normalization as EmbeddingNormalization | undefined) ?? 'center',
    };
    return new OnnxEmbedding(model, use.id, dim, use, input, minFrames, clustering);
  }

  async embed(feats: Float32Array): Promise<Float32Array> {
    const n = feats.length / DIM;
    if (this.input.unitScaleSamples) for (let i = 0; i < feats.length; i++) feats[i] += UNIT_SCALE_LOG_OFFSET;
    if (this.input.cmn) applyCmn(feats);
    const out = await this.model.run({ [this.input.inputName]: { data: feats, dims: [1, n, DIM] } });
    return out[this.model.outputNames[0]].data.slice(0, this.dim);
  }
}

/**
 * Creates the embedding backend for a manifest id (default: the manifest's `embedding` role).
 * @param providers execution-provider order for ONNX encoders (default: environment, then CPU).
 * @throws ModelNotFoundError when an ONNX encoder's file is missing.
 */
export async function createEmbeddingBackend(
  id?: string,
  providers?: ProviderSettings,
): Promise<EmbeddingBackend> {
  const chosen = id ?? activeModelId('embedding') ?? 'fbank-stats';
  if (chosen === 'fbank-stats') return new FbankStatsEmbedding();
  return OnnxEmbedding.create(chosen, providers);
}

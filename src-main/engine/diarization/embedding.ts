/**
 * Speaker-embedding backends behind one role interface, chosen through `models/manifest.json`:
 *  - `fbank-stats`: model-free baseline, statistics of the log-mel filterbank (usable now);
 *  - any ONNX encoder that takes CMN'd Kaldi fbank `feats` [1, T, 80] and returns an embedding
 *    (the project-trained encoder, CAM++, WeSpeaker plug in here without engine changes).
 */
import { applyCmn } from '../audio/fbank.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { defaultModelId, resolveModel } from '../inference/registry.ts';
import type { ModelUse } from '../../../src-shared/contracts/analysis.ts';
import type { EmbeddingNormalization } from './clustering.ts';

const DIM = 80;

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
 * 48-dim "MFCC statistics" vector. The clustering centres embeddings on the file mean before
 * cosine scoring, which turns these statistics into a usable (if weak) speaker signature.
 */
export class FbankStatsEmbedding implements EmbeddingBackend {
  readonly id = 'fbank-stats';
  readonly dim = 2 * N_CEPS;
  readonly minFrames = 10;
  readonly use: ModelUse = { role: 'embedding', id: 'fbank-stats', version: '1', sha256: null };
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
 * ONNX encoder backend: input `feats` float32 [1, T, 80] (per-utterance CMN applied here, as the
 * manifest's `config.cmn` says; default true), output: the first output, [1, D].
 */
export class OnnxEmbedding implements EmbeddingBackend {
  readonly minFrames: number;
  private constructor(
    private readonly model: OnnxModel,
    readonly id: string,
    readonly dim: number,
    readonly use: ModelUse,
    private readonly cmn: boolean,
    minFrames: number,
    readonly clusteringDefaults: { threshold: number; normalization: EmbeddingNormalization },
  ) {
    this.minFrames = minFrames;
  }

  /**
   * Loads an encoder listed in the manifest and probes its output dimension.
   * @throws ModelNotFoundError / Error when the file is missing or has the wrong I/O.
   */
  static async create(id: string): Promise<OnnxEmbedding> {
    const { entry } = resolveModel(id);
    const model = await OnnxModel.load(id, { intraOpThreads: 1 });
    if (!model.inputNames.includes('feats')) {
      throw new Error(
        `embedding model ${id} must have an input named "feats" [1, T, 80]; has ${model.inputNames.join(', ')}`,
      );
    }
    const cfg = entry.config ?? {};
    const cmn = cfg.cmn !== false;
    const minFrames = typeof cfg.minFrames === 'number' ? cfg.minFrames : 50;
    const probe = await model.run({
      feats: { data: new Float32Array(minFrames * DIM), dims: [1, minFrames, DIM] },
    });
    const out = probe[model.outputNames[0]];
    const dim = out.dims[out.dims.length - 1];
    const use: ModelUse = { role: 'embedding', id, version: entry.version, sha256: entry.sha256 };
    const clustering = {
      threshold: typeof cfg.threshold === 'number' ? cfg.threshold : 0.6,
      normalization: (cfg.normalization as EmbeddingNormalization | undefined) ?? 'center',
    };
    return new OnnxEmbedding(model, id, dim, use, cmn, minFrames, clustering);
  }

  async embed(feats: Float32Array): Promise<Float32Array> {
    const n = feats.length / DIM;
    if (this.cmn) applyCmn(feats);
    const out = await this.model.run({ feats: { data: feats, dims: [1, n, DIM] } });
    return out[this.model.outputNames[0]].data.slice(0, this.dim);
  }
}

/**
 * Creates the embedding backend for a manifest id (default: the manifest's `embedding` role).
 * @throws ModelNotFoundError when an ONNX encoder's file is missing.
 */
export async function createEmbeddingBackend(id?: string): Promise<EmbeddingBackend> {
  const chosen = id ?? defaultModelId('embedding') ?? 'fbank-stats';
  if (chosen === 'fbank-stats') return new FbankStatsEmbedding();
  return OnnxEmbedding.create(chosen);
}

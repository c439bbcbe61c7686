/**
 * The only module that imports onnxruntime-node (STYLE.md 8; enforced by ESLint). Wraps an
 * InferenceSession behind a small class: Float32Array/BigInt64Array tensors in, Float32Arrays out,
 * with actionable load errors and execution-provider selection with a recorded reason.
 */
import * as ort from 'onnxruntime-node';

import { resolveModel, type ResolvedModel } from './registry.ts';

/** A tensor passed to {@link OnnxModel.run}. */
export interface TensorInput {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/** A tensor returned by {@link OnnxModel.run}. */
export interface TensorOutput {
  data: Float32Array;
  dims: readonly number[];
}

/** The execution provider a session runs on and why. */
export interface ProviderChoice {
  name: string;
  reason: string;
}

/**
 * Execution providers to try, in order. `CALLSCOPE_EP` (comma-separated, e.g. `cuda,cpu`) overrides
 * the default, which is CPU: onnxruntime-node ships only CPU binaries unless installed with
 * `--onnxruntime-node-install=cuda`.
 */
export function providerOrder(): string[] {
  const env = process.env.CALLSCOPE_EP;
  const order = env ? env.split(',').map((s) => s.trim().toLowerCase()) : ['cpu'];
  return order.includes('cpu') ? order : [...order, 'cpu'];
}

/** Options of {@link OnnxModel.load}. */
export interface OnnxLoadOptions {
  /** intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
}

/** A loaded ONNX model. Construct with {@link OnnxModel.load} or {@link OnnxModel.loadPath}. */
export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly path: string,
    readonly provider: ProviderChoice,
    readonly resolved: ResolvedModel | null,
  ) {}

  /** Input names declared by the model. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Output names declared by the model. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Loads a manifest model by id (file found and sha256-verified by the registry).
   * @throws ModelNotFoundError / Error naming the file and the cause.
   */
  static async load(id: string, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
    const resolved = resolveModel(id);
    if (!resolved.path) throw new Error(`model ${id} has no ONNX file (model-free backend)`);
    return OnnxModel.create(resolved.path, opts, resolved);
  }

  /** Loads an ONNX file by path (tests, user-supplied files). */
  static async loadPath(path: string, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
    return OnnxModel.create(path, opts, null);
  }

  private static async create(
    path: string,
    opts: OnnxLoadOptions,
    resolved: ResolvedModel | null,
  ): Promise<OnnxModel> {
    const errors: string[] = [];
    for (const ep of providerOrder()) {
      try {
        const session = await ort.InferenceSession.create(path, {
          executionProviders: [ep],
          graphOptimizationLevel: 'all',
          ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
          interOpNumThreads: 1,
          // no busy-waiting between runs: the engine interleaves many small runs with JS work,
          // and spinning threads would burn a laptop core for nothing
          extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        });
        const reason = errors.length
          ? `fallback: ${errors.join('; ')}`
          : ep === 'cpu'
            ? 'default'
            : 'requested';
        return new OnnxModel(session, path, { name: ep, reason }, resolved);
      } catch (err) {
        errors.push(`${ep} unavailable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      }
    }
    throw new Error(`cannot load ONNX model ${path}: ${errors.join('; ')}`);
  }

  /**
   * Runs the model.
   * @param inputs tensors by input name.
   * @returns float32 outputs by name (other dtypes are converted).
   */
  async run(inputs: Record<string, TensorInput>): Promise<Record<string, TensorOutput>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) {
      feeds[name] =
        t.data instanceof BigInt64Array
          ? new ort.Tensor('int64', t.data, t.dims)
          : new ort.Tensor('float32', t.data, t.dims);
    }
    const out = await this.session.run(feeds);
    const result: Record<string, TensorOutput> = {};
    for (const [name, tensor] of Object.entries(out)) {
      const data =
        tensor.data instanceof Float32Array
          ? tensor.data
          : Float32Array.from(tensor.data as ArrayLike<number>);
      result[name] = { data, dims: tensor.dims };
    }
    return result;
  }

  /** Custom metadata of the model file (onnx metadata_props), when the runtime exposes it. */
  metadata(): Record<string, string> {
    const meta = (this.session as unknown as { metadata?: { customMetadataMap?: Record<string, string> } })
      .metadata;
    return meta?.customMetadataMap ?? {};
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

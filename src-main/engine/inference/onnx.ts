/**
 * The only module that imports onnxruntime-node (STYLE.md 8; enforced by ESLint). Wraps an
 * InferenceSession behind a small class: Float32Array/BigInt64Array tensors in, Float32Arrays out,
 * with actionable load errors and execution-provider selection with a recorded reason (the order
 * and the pre-checks are in `providers.ts`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as ort from 'onnxruntime-node';

import type { ModelRole, ProviderSettings, ProviderUse } from '../../../src-shared/contracts/analysis.ts';
import { firstLine, providerOrderFor, providerPrecheck, type RuntimeBackends } from './providers.ts';
import { dequantizeModel } from './dequantize.ts';
import { readOnnxMetadata } from './onnx-metadata.ts';
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

/** The execution provider a session runs on and why (see {@link ProviderUse}). */
export type ProviderChoice = ProviderUse;

let runtime: RuntimeBackends | null = null;

/**
 * What this onnxruntime-node install offers: `listSupportedBackends()` (onnxruntime-node ≥ 1.20)
 * and the folder of its native binding, where separately installed provider libraries must lie.
 */
export function runtimeBackends(): RuntimeBackends {
  if (!runtime) {
    const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] })
      .listSupportedBackends;
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    runtime = {
      backends: list ? list() : [{ name: 'cpu', bundled: true }],
      libraryDir: join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch),
      platform: process.platform,
    };
  }
  return runtime;
}

/** Options of {@link OnnxModel.load}. */
export interface OnnxLoadOptions {
  /** intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
  /** Role whose provider order applies (default: the manifest entry's role; none for {@link OnnxModel.loadPath}). */
  role?: ModelRole;
  /** Provider order per role (see `providers.ts` for precedence over the environment). */
  providers?: ProviderSettings;
  /**
   * Rewrite a dynamically quantised model to float activations before creating the session
   * (`dequantize.ts`; default for {@link OnnxModel.load}: the manifest entry's `dequantize`).
   */
  dequantize?: boolean;
}

/** A loaded ONNX model. Construct with {@link OnnxModel.load} or {@link OnnxModel.loadPath}. */
export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly path: string,
    readonly provider: ProviderChoice,
    readonly resolved: ResolvedModel | null,
  ) {}

  private meta: Record<string, string> | null = null;

  /** Input names declared by the model. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Output names declared by the model. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Loads a manifest model by id (file found and sha256-verified by the registry), on the first
   * execution provider of its role's order that works.
   * @throws ModelNotFoundError / Error naming the file and the cause; ProviderConfigError on an
   *   invalid provider spec in the environment.
   */
  static async load(id: string, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
    const resolved = resolveModel(id);
    if (!resolved.path) throw new Error(`model ${id} has no ONNX file (model-free backend)`);
    return OnnxModel.create(
      resolved.path,
      { role: resolved.entry.role, dequantize: resolved.entry.dequantize, ...opts },
      resolved,
    );
  }

  /** Loads an ONNX file by path (tests, user-supplied files). */
  static async loadPath(path: string, opts: OnnxLoadOptions = {}): Promise<OnnxModel> {
    return OnnxModel.create(path, opts, null);
  }

  /**
   * Creates the session on each provider of the order in turn: providers this install cannot offer
   * are skipped by {@link providerPrecheck}; a session that fails to create is skipped with its
   * error. The CPU options (threads, no spinning) are the same for every provider.
   */
  private static async create(
    path: string,
    opts: OnnxLoadOptions,
    resolved: ResolvedModel | null,
  ): Promise<OnnxModel> {
    const { order } = providerOrderFor(opts.role, opts.providers);
    const skipped: ProviderUse['skipped'] = [];
    let source: string | Uint8Array = path;
    if (opts.dequantize) {
      try {
        source = dequantizeModel(readFileSync(path));
      } catch (err) {
        throw new Error(`cannot rewrite ${path} to float activations: ${firstLine(err)}`);
      }
    }
    for (const ep of order) {
      const why = providerPrecheck(ep, runtimeBackends());
      if (why) {
        skipped.push({ name: ep, reason: why });
        continue;
      }
      try {
        const sessionOptions: ort.InferenceSession.SessionOptions = {
          executionProviders: [ep],
          graphOptimizationLevel: 'all',
          ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
          interOpNumThreads: 1,
          // no busy-waiting between runs: the engine interleaves many small runs with JS work,
          // and spinning threads would burn a laptop core for nothing
          extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        };
        const session =
          typeof source === 'string'
            ? await ort.InferenceSession.create(source, sessionOptions)
            : await ort.InferenceSession.create(source, sessionOptions);
        const reason = skipped.length
          ? `fallback: ${skipped.map((s) => `${s.name} unavailable (${s.reason})`).join('; ')}`
          : order.length === 1
            ? 'default'
            : 'requested';
        return new OnnxModel(session, path, { name: ep, requested: order, skipped, reason }, resolved);
      } catch (err) {
        skipped.push({ name: ep, reason: firstLine(err) });
      }
    }
    throw new Error(
      `cannot load ONNX model ${path}: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
    );
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

  /**
   * Custom metadata of the model file (ONNX `metadata_props`, e.g. sherpa-onnx's `framework`,
   * `sample_rate`), read from the file itself since onnxruntime-node does not expose it; cached.
   * @throws Error when the file cannot be parsed.
   */
  metadata(): Record<string, string> {
    this.meta ??= readOnnxMetadata(this.path);
    return this.meta;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

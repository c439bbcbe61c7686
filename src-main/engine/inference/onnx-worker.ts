/**
 * An ONNX model whose session lives in a worker thread, so its inference runs beside the main
 * thread's work instead of blocking it. onnxruntime-node runs a session synchronously on the
 * calling JS thread (its `run()` only defers with `setImmediate`, measured in bench/README.md),
 * so without a worker the whole pipeline uses one core. The segmentation model, about two thirds
 * of the file pipeline's CPU time, runs here; the main thread meanwhile decodes, runs the VAD,
 * the embeddings and the quality measures.
 *
 * Results are identical to an in-thread {@link OnnxModel} with the same options: the worker
 * creates its session through the same `OnnxModel.loadPath` (provider order, pre-checks, recorded
 * reason), and each request is one `run` call on it.
 *
 * The worker does not keep the process alive while idle (it is `unref`'d between requests), and
 * it ends with `release()` or when its model object is garbage-collected.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { OnnxLoadOptions, ProviderChoice, TensorInput, TensorOutput } from './onnx.ts';
import type { OnnxWorkerData } from './onnx-worker-entry.ts';
import { resolveModel, type ResolvedModel } from './registry.ts';

/**
 * Where the bundled app (scripts/build-app.mjs) put its files: set by the bundle's banner to the
 * bundle's own URL; undefined when running from source (tsx, vitest).
 */
declare global {
  var __callscopeBundleUrl: string | undefined;
}

type WorkerMessage =
  | { type: 'loaded'; provider: ProviderChoice; inputNames: string[]; outputNames: string[] }
  | { type: 'load-error'; message: string }
  | { type: 'result'; id: number; outputs: Record<string, TensorOutput> }
  | { type: 'error'; id: number; message: string };

/**
 * Starts the worker script: the bundle's `onnx-worker.js` beside the bundle, or from source the
 * TypeScript entry through tsx's loader (registered inside the worker, whose module hooks are its
 * own).
 */
function startWorker(data: OnnxWorkerData): Worker {
  const bundle = globalThis.__callscopeBundleUrl;
  if (bundle) return new Worker(new URL('./onnx-worker.js', bundle), { workerData: data });
  const tsxApi = pathToFileURL(
    join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  const entry = new URL('./onnx-worker-entry.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: data, execArgv: [] });
}

/**
 * The worker and its open requests. Kept apart from {@link OnnxWorkerModel} so that the worker's
 * listeners do not keep the model object alive: when a model is dropped without `release()` (the
 * app reloads its models after a Settings change while running analyses keep the old set), the
 * finalization registry ends its worker once the model is garbage-collected.
 */
interface WorkerState {
  worker: Worker;
  pending: Map<number, { resolve: (o: Record<string, TensorOutput>) => void; reject: (e: Error) => void }>;
  failure: Error | null;
}

const dropped = new FinalizationRegistry<WorkerState>((state) => {
  state.failure ??= new Error('ONNX worker model was garbage-collected');
  void state.worker.terminate();
});

/** An ONNX model run in a worker thread. Construct with {@link OnnxWorkerModel.load}. */
export class OnnxWorkerModel {
  private nextId = 1;
  private readonly state: WorkerState;

  private constructor(
    worker: Worker,
    readonly path: string,
    readonly provider: ProviderChoice,
    readonly resolved: ResolvedModel | null,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    const state: WorkerState = { worker, pending: new Map(), failure: null };
    this.state = state;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = state.pending.get(m.id);
      if (!p) return;
      state.pending.delete(m.id);
      if (!state.pending.size) worker.unref();
      if (m.type === 'result') p.resolve(m.outputs);
      else p.reject(new Error(`ONNX model ${path}: ${m.message}`));
    });
    const fail = (err: Error): void => {
      state.failure ??= err;
      for (const p of state.pending.values()) p.reject(state.failure);
      state.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`ONNX worker for ${path} failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`ONNX worker for ${path} exited (code ${code})`)));
    worker.unref();
    dropped.register(this, state, state);
  }

  /**
   * Loads a manifest model by id in a new worker thread: the file is found and sha256-verified
   * here (as {@link OnnxModel.load} does), the session is created in the worker.
   * @throws ModelNotFoundError / Error naming the file and the cause (as `OnnxModel.load`), or
   *   an Error when the worker thread cannot start.
   */
  static async load(id: string, opts: OnnxLoadOptions = {}): Promise<OnnxWorkerModel> {
    const resolved = resolveModel(id);
    if (!resolved.path) throw new Error(`model ${id} has no ONNX file (model-free backend)`);
    const path = resolved.path;
    const worker = startWorker({
      path,
      opts: { role: resolved.entry.role, dequantize: resolved.entry.dequantize, ...opts },
    });
    let onMessage: (m: WorkerMessage) => void = () => undefined;
    let onError: (err: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const loaded = await new Promise<Extract<WorkerMessage, { type: 'loaded' }>>((resolve, reject) => {
      onMessage = (m) => {
        if (m.type === 'loaded') resolve(m);
        else if (m.type === 'load-error') reject(new Error(m.message));
      };
      onError = (err) => reject(new Error(`ONNX worker for ${path} failed to start: ${err.message}`));
      onExit = (code) => reject(new Error(`ONNX worker for ${path} exited during load (code ${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    })
      .catch(async (err: unknown) => {
        await worker.terminate();
        throw err;
      })
      .finally(() => {
        // only this function's listeners: the Worker keeps internal ones of its own
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      });
    return new OnnxWorkerModel(
      worker,
      path,
      loaded.provider,
      resolved,
      loaded.inputNames,
      loaded.outputNames,
    );
  }

  /**
   * Runs the model in the worker (inputs are copied to it).
   * @param inputs tensors by input name.
   * @returns float32 outputs by name.
   * @throws Error from the session, or when the worker has failed or was released.
   */
  run(inputs: Record<string, TensorInput>): Promise<Record<string, TensorOutput>> {
    const state = this.state;
    if (state.failure) return Promise.reject(state.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      state.pending.set(id, { resolve, reject });
      state.worker.ref();
      state.worker.postMessage({ type: 'run', id, inputs });
    });
  }

  /** Stops the worker; later runs reject (so do runs still open). */
  async release(): Promise<void> {
    this.state.failure ??= new Error(`ONNX model ${this.path} was released`);
    dropped.unregister(this.state);
    await this.state.worker.terminate();
  }
}

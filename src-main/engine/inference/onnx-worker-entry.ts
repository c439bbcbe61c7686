/**
 * Worker-thread side of {@link OnnxWorkerModel} (onnx-worker.ts): holds one ONNX session, created
 * through {@link OnnxModel.loadPath} with the options the main thread passed (so the execution
 * provider order, pre-checks and recorded reason are the same as in the main thread), and runs it
 * for each request. Requests are answered in the order they arrive.
 *
 * Protocol (structured-clone messages):
 * - workerData `{ path, opts }` → posts `{ type: 'loaded', provider, inputNames, outputNames }`
 *   or `{ type: 'load-error', message }`;
 * - `{ type: 'run', id, inputs }` → `{ type: 'result', id, outputs }`
 *   or `{ type: 'error', id, message }`.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { OnnxModel, type OnnxLoadOptions, type TensorInput } from './onnx.ts';

/** What the main thread passes as `workerData`. */
export interface OnnxWorkerData {
  path: string;
  opts: OnnxLoadOptions;
}

/** A request from the main thread. */
export interface OnnxWorkerRequest {
  type: 'run';
  id: number;
  inputs: Record<string, TensorInput>;
}

const port = parentPort;
if (!port) throw new Error('onnx-worker-entry must run in a worker thread');
const { path, opts } = workerData as OnnxWorkerData;

try {
  const model = await OnnxModel.loadPath(path, opts);
  port.on('message', (req: OnnxWorkerRequest) => {
    model.run(req.inputs).then(
      // outputs are copied, not transferred: onnxruntime may hand out buffers it does not let go
      (outputs) => port.postMessage({ type: 'result', id: req.id, outputs }),
      (err: unknown) =>
        port.postMessage({
          type: 'error',
          id: req.id,
          message: err instanceof Error ? err.message : String(err),
        }),
    );
  });
  port.postMessage({
    type: 'loaded',
    provider: model.provider,
    inputNames: [...model.inputNames],
    outputNames: [...model.outputNames],
  });
} catch (err) {
  port.postMessage({ type: 'load-error', message: err instanceof Error ? err.message : String(err) });
}

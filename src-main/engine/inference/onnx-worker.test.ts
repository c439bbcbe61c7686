/**
 * The segmentation model in a worker thread (onnx-worker.ts) on the real model and real dev audio:
 * the same outputs and the same file analysis as in the calling thread, errors that name the
 * model, and the bundled worker script (scripts/build-app.mjs) that the Electron engine starts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SEG_WINDOW } from '../diarization/segmentation.ts';
import { analyzeFile, loadEngineModels } from '../pipeline/analyze-file.ts';
import { decodeDevMono, devFile, REPO_ROOT, useSharedModels } from '../../test-support.ts';
import { OnnxModel } from './onnx.ts';
import { OnnxWorkerModel } from './onnx-worker.ts';

const SEG_ID = 'pyannote-segmentation-3.0-int8';

/** The first `n` 10 s windows of a dev file, 16 kHz mono. */
async function devWindows(rel: string, n: number): Promise<Float32Array[]> {
  const all = await decodeDevMono(rel, (n * SEG_WINDOW) / 16_000);
  return Array.from({ length: n }, (_, i) => all.slice(i * SEG_WINDOW, (i + 1) * SEG_WINDOW));
}

describe('OnnxWorkerModel (segmentation in a worker thread)', () => {
  let worker: OnnxWorkerModel;
  let local: OnnxModel;
  beforeAll(async () => {
    useSharedModels();
    worker = await OnnxWorkerModel.load(SEG_ID, { intraOpThreads: 1 });
    local = await OnnxModel.load(SEG_ID, { intraOpThreads: 1 });
  });
  afterAll(async () => {
    await worker.release();
    await local.release();
  });

  it('gives the same outputs as the in-thread session on real speech, requests answered in order', async () => {
    const windows = await devWindows('diarization/pyannote_sample.wav', 3);
    const run = (m: Pick<OnnxModel, 'run'>, w: Float32Array) =>
      m.run({ x: { data: w, dims: [1, 1, SEG_WINDOW] } });
    // all three sent at once: each answer must belong to its own request
    const fromWorker = await Promise.all(windows.map((w) => run(worker, w)));
    for (let i = 0; i < windows.length; i++) {
      const ref = await run(local, windows[i]);
      expect(fromWorker[i].y.dims).toEqual([1, 589, 7]);
      expect(Array.from(fromWorker[i].y.data)).toEqual(Array.from(ref.y.data));
    }
    // different windows give different outputs (the comparison above is not vacuous)
    expect(Array.from(fromWorker[0].y.data)).not.toEqual(Array.from(fromWorker[1].y.data));
    expect(worker.provider.name).toBe('cpu');
    expect(worker.resolved?.entry.id).toBe(SEG_ID);
    expect(worker.inputNames).toEqual(['x']);
  });

  it('a bad request rejects with an error naming the model, and the worker keeps serving', async () => {
    await expect(worker.run({ x: { data: new Float32Array(10), dims: [1, 1, 10] } })).rejects.toThrow(
      /pyannote_segmentation_3_0_int8\.onnx/,
    );
    const ok = await worker.run({ x: { data: new Float32Array(SEG_WINDOW), dims: [1, 1, SEG_WINDOW] } });
    expect(ok.y.dims).toEqual([1, 589, 7]);
  });

  it('a released worker refuses new requests with a clear error', async () => {
    const w = await OnnxWorkerModel.load(SEG_ID, { intraOpThreads: 1 });
    await w.release();
    await expect(
      w.run({ x: { data: new Float32Array(SEG_WINDOW), dims: [1, 1, SEG_WINDOW] } }),
    ).rejects.toThrow(/was released/);
  });

  it('a model dropped without release() ends its worker once garbage-collected (Linux thread count)', () => {
    const script = join(tmpdir(), `callscope-gc-${process.pid}.mts`);
    const mod = pathToFileURL(join(REPO_ROOT, 'src-main/engine/inference/onnx-worker.ts')).href;
    writeFileSync(
      script,
      `import { readdirSync } from 'node:fs';
import { OnnxWorkerModel } from ${JSON.stringify(mod)};
const threads = () => readdirSync('/proc/self/task').length;
let m = await OnnxWorkerModel.load(${JSON.stringify(SEG_ID)}, { intraOpThreads: 1 });
await m.run({ x: { data: new Float32Array(${SEG_WINDOW}), dims: [1, 1, ${SEG_WINDOW}] } });
const during = threads();
m = null;
for (let i = 0; i < 600 && threads() >= during; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); }
console.log(JSON.stringify({ during, after: threads() }));
`,
    );
    const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: process.env,
    });
    expect(res.status, res.stderr).toBe(0);
    const { during, after } = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
      during: number;
      after: number;
    };
    expect(after).toBeLessThan(during);
  });

  it('an unknown model id fails before any worker starts', async () => {
    await expect(OnnxWorkerModel.load('no-such-model')).rejects.toThrow(/no-such-model/);
  });

  it('file analysis gives the same turns with segmentation in the worker and in the calling thread', async () => {
    const file = devFile('diarization/ami_EN2005a_0-30s.wav');
    const inWorker = await loadEngineModels({ ageGender: null });
    const inThread = await loadEngineModels({ ageGender: null, segmentationThread: 'main' });
    const a = await analyzeFile(file, inWorker);
    const b = await analyzeFile(file, inThread);
    expect(a.turns.length).toBeGreaterThan(3);
    expect(a.turns).toEqual(b.turns);
    expect(a.speakers.map((s) => s.speechS)).toEqual(b.speakers.map((s) => s.speechS));
    expect(a.models.find((m) => m.role === 'segmentation')).toMatchObject({
      id: SEG_ID,
      provider: { name: 'cpu' },
    });
  });

  it('the bundled app starts dist/app/onnx-worker.js beside its engine bundle', async () => {
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build-app.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(built.status, built.stderr).toBe(0);
    const bundle = join(REPO_ROOT, 'dist/app/engine.js');
    expect(existsSync(join(REPO_ROOT, 'dist/app/onnx-worker.js'))).toBe(true);
    globalThis.__callscopeBundleUrl = pathToFileURL(bundle).href;
    try {
      const w = await OnnxWorkerModel.load(SEG_ID, { intraOpThreads: 1 });
      const [win] = await devWindows('diarization/pyannote_sample.wav', 1);
      const out = await w.run({ x: { data: win, dims: [1, 1, SEG_WINDOW] } });
      const ref = await local.run({ x: { data: win, dims: [1, 1, SEG_WINDOW] } });
      expect(Array.from(out.y.data)).toEqual(Array.from(ref.y.data));
      await w.release();
    } finally {
      globalThis.__callscopeBundleUrl = undefined;
    }
  });
});

/**
 * Turns a dynamically quantised ONNX model (onnxruntime `quantize_dynamic`: int8 weights, and
 * activations quantised at run time by `DynamicQuantizeLinear` with one scale per tensor) into a
 * float graph with the same int8 weights dequantised to float32 and float activations.
 *
 * Why: the per-tensor activation scale of a 10 s segmentation window is set by its loudest
 * sample, so quiet speech in a window with a loud moment is coarsely quantised. On the dev
 * diarization set the rewritten pyannote segmentation-3.0 int8 model gave DER 37.4 → 34.2 %
 * (fbank-stats) at ≈ 24 % more CPU per window (bench/README.md "Segmentation with float
 * activations"). The weights are exactly those of the shipped file (sha256-verified before the
 * rewrite), so no new model file is needed.
 *
 * Rewrites (onnxruntime's quantisation patterns, `onnxruntime/python/tools/quantization`):
 * - `MatMulInteger(xq, Wq, xzp, Wzp)` / `ConvInteger(...)` → `MatMul(x, Wq − Wzp)` /
 *   `Conv(x, Wq − Wzp)` on the float input `x` of the `DynamicQuantizeLinear` that produced `xq`;
 * - the `…_quant_scales_mul` node (activation scale × weight scale) → `Identity(weight scale)`, so
 *   the following `Cast` and output-scale `Mul` give `x · (Wq − Wzp) · scale_W`;
 * - `com.microsoft.DynamicQuantizeLSTM(X, Wq, Rq, B, …, W_scale, W_zp, R_scale, R_zp)` → ONNX
 *   `LSTM(X, W, R, B, …)` with `W = (Wq − W_zp) · W_scale` transposed from
 *   [directions, input, 4·hidden] to ONNX's [directions, 4·hidden, input] (same i, o, f, c gate
 *   order; contrib op spec: onnxruntime docs/ContribOperators.md#com.microsoft.DynamicQuantizeLSTM);
 * - the `DynamicQuantizeLinear` nodes and the quantised initialisers no longer used are dropped;
 * - the SincNet time grid (see {@link exactSincNetGrid}) is replaced by its exact values.
 *
 * SincNet grid: pyannote's first layer (asteroid `ParamSincFB`) does not store its band-pass
 * kernels; the graph computes them at run time from `low_hz_`, `band_hz_`, `window_` and the time
 * grid `n_ = 2π·arange(−125, 0)/16000` (Ravanelli & Bengio 2018, "Speaker recognition from raw
 * waveform with SincNet"). `quantize_dynamic` quantised that grid as a MatMul weight
 * (`…filterbank.n__quantized`, uint8, scale 1.925e-4): taps move by up to 0.235 samples and the
 * 6–8 kHz filters pass 300 Hz at −25 to −45 dB instead of −70 to −110 dB, which emptied whole
 * 10-s windows on muffled audio (issue 13; bench/README.md "Exact SincNet grid"). The rewrite puts
 * the exact grid back (as `grid / scale`, because the graph multiplies the MatMul by the grid's
 * scale afterwards). The exact grid is also stored in the file (`onnx::Div_740` = n_/2, used as
 * the divisor of the same kernels); the rewrite checks that it agrees.
 *
 * The ModelProto is decoded and encoded with protobufjs from ONNX's own schema
 * (`resources/onnx/onnx.proto`, Apache-2.0, from ONNX 1.12).
 */
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

/** TensorProto.DataType values used here (onnx.proto). */
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;

interface Tensor {
  name: string;
  dims: (number | { toNumber(): number })[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
}
interface Attribute {
  name: string;
  g?: Graph;
  graphs?: Graph[];
}
interface Node {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain?: string;
  attribute: Attribute[];
}
interface Graph {
  node: Node[];
  initializer: Tensor[];
}

let modelType: protobuf.Type | null = null;

/** The protobufjs type of `onnx.ModelProto`, parsed once from the bundled schema. */
function modelProto(): protobuf.Type {
  if (!modelType) {
    const schema = fileURLToPath(new URL('../../../resources/onnx/onnx.proto', import.meta.url));
    modelType = protobuf.loadSync(schema).lookupType('onnx.ModelProto');
  }
  return modelType;
}

const dimsOf = (t: Tensor): number[] => t.dims.map((d) => (typeof d === 'number' ? d : d.toNumber()));

/** Values of an initializer as float64, whatever its storage. @throws Error on other types. */
function values(t: Tensor): Float64Array {
  const n = dimsOf(t).reduce((a, d) => a * d, 1);
  if (t.rawData && t.rawData.length) {
    const b = t.rawData;
    if (t.dataType === UINT8) return Float64Array.from(b.subarray(0, n));
    if (t.dataType === INT8) return Float64Array.from(new Int8Array(b.buffer, b.byteOffset, n));
    if (t.dataType === FLOAT) {
      const copy = new Uint8Array(b.subarray(0, 4 * n)); // aligned copy
      return Float64Array.from(new Float32Array(copy.buffer));
    }
  } else {
    if (t.dataType === FLOAT && t.floatData?.length) return Float64Array.from(t.floatData);
    if ((t.dataType === UINT8 || t.dataType === INT8) && t.int32Data?.length)
      return Float64Array.from(t.int32Data);
  }
  throw new Error(`initializer ${t.name}: unsupported storage (data type ${t.dataType})`);
}

function floatTensor(name: string, dims: number[], data: Float32Array): Tensor {
  return {
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Name suffix of the quantised SincNet time grid in pyannote's dynamically quantised export. */
const SINC_GRID_SUFFIX = 'filterbank.n__quantized';

/**
 * The exact SincNet time grid `n_[k] = 2π·(k − half)/sampleRate`, k = 0 … half−1, i.e.
 * `2π·arange(−half, 0)/sampleRate` in radians·s (asteroid `ParamSincFB`, pyannote
 * segmentation-3.0: kernel 251 taps → half = 125, 16 kHz).
 * @param half number of taps left of the centre (≥ 1).
 * @param sampleRate Hz.
 * @returns Float64Array of length `half`, negative, increasing.
 * @throws Error when `half` is not a positive integer.
 */
export function exactSincNetGrid(half = 125, sampleRate = 16_000): Float64Array {
  if (!Number.isInteger(half) || half < 1)
    throw new Error(`SincNet grid: half = ${half} is not a positive integer`);
  return Float64Array.from({ length: half }, (_, k) => (2 * Math.PI * (k - half)) / sampleRate);
}

/** Options of {@link dequantizeModel}. */
export interface DequantizeOptions {
  /**
   * Replace the quantised SincNet time grid by the exact one (default true). `false` keeps the
   * rounded grid of the shipped file (the behaviour before issue 13; for comparisons only).
   */
  exactSincGrid?: boolean;
}

/**
 * Rewrites a dynamically quantised ONNX model into a float one (see the module doc).
 * @param bytes the model file.
 * @param opts see {@link DequantizeOptions}.
 * @returns the rewritten model file; the same graph when it has no dynamic quantisation.
 * @throws Error when a quantised node does not follow onnxruntime's patterns (names the node), or
 *   when a quantised SincNet grid does not match the exact grid to within one quantisation step.
 */
export function dequantizeModel(bytes: Uint8Array, opts: DequantizeOptions = {}): Uint8Array {
  const exactSinc = opts.exactSincGrid ?? true;
  const type = modelProto();
  const model = type.decode(bytes) as unknown as { graph: Graph };
  const g = model.graph;
  const init = new Map(g.initializer.map((t) => [t.name, t]));
  const need = (name: string, node: Node): Tensor => {
    const t = init.get(name);
    if (!t) throw new Error(`node ${node.name}: ${name} is not an initializer`);
    return t;
  };
  const floatInput = new Map<string, string>();
  for (const n of g.node) if (n.opType === 'DynamicQuantizeLinear') floatInput.set(n.output[0], n.input[0]);
  const added = new Map<string, Tensor>();
  const addInit = (t: Tensor): string => {
    if (!added.has(t.name)) added.set(t.name, t);
    return t.name;
  };
  const nodes: Node[] = [];
  for (const n of g.node) {
    if (n.opType === 'DynamicQuantizeLinear') continue;
    if (n.opType === 'MatMulInteger' || n.opType === 'ConvInteger') {
      const x = floatInput.get(n.input[0]);
      if (!x) throw new Error(`node ${n.name}: its input is not produced by DynamicQuantizeLinear`);
      const wq = need(n.input[1], n);
      const zp = n.input[3] ? values(need(n.input[3], n)) : new Float64Array([0]);
      if (zp.length !== 1) throw new Error(`node ${n.name}: per-channel zero points are not supported`);
      let w: Float32Array = Float32Array.from(values(wq), (v) => v - zp[0]);
      if (exactSinc && n.opType === 'MatMulInteger' && wq.name.endsWith(SINC_GRID_SUFFIX))
        w = exactSincWeight(wq, w, g, init);
      const wName = addInit(floatTensor(`${wq.name}_dequantized`, dimsOf(wq), w));
      nodes.push({
        input: [x, wName],
        output: [n.output[0]],
        name: `${n.name}_float`,
        opType: n.opType === 'MatMulInteger' ? 'MatMul' : 'Conv',
        domain: '',
        attribute: n.opType === 'ConvInteger' ? n.attribute : [],
      });
      continue;
    }
    if (n.opType === 'Mul' && n.name.endsWith('_quant_scales_mul')) {
      if (!floatInput.has(n.input[0].replace(/_scale$/, '_quantized')))
        throw new Error(`node ${n.name}: expected (activation scale, weight scale) inputs`);
      nodes.push({
        input: [n.input[1]],
        output: n.output,
        name: `${n.name}_weight_scale`,
        opType: 'Identity',
        domain: '',
        attribute: [],
      });
      continue;
    }
    if (n.opType === 'DynamicQuantizeLSTM') {
      const deq = (q: string, s: string, z: string): string => {
        const tq = need(q, n);
        const [dirs, inp, gates] = dimsOf(tq);
        const qv = values(tq);
        const sv = values(need(s, n));
        const zv = values(need(z, n));
        const perChannel = sv.length === dirs * gates;
        if (!perChannel && sv.length !== dirs)
          throw new Error(`node ${n.name}: unexpected scale shape for ${q}`);
        const out = new Float32Array(dirs * gates * inp);
        for (let d = 0; d < dirs; d++)
          for (let i = 0; i < inp; i++)
            for (let k = 0; k < gates; k++) {
              const c = perChannel ? d * gates + k : d;
              out[(d * gates + k) * inp + i] = (qv[(d * inp + i) * gates + k] - zv[c]) * sv[c];
            }
        return addInit(floatTensor(`${q}_dequantized`, [dirs, gates, inp], out));
      };
      const ins = n.input;
      const lstmIn = [ins[0], deq(ins[1], ins[8], ins[9]), deq(ins[2], ins[10], ins[11]), ...ins.slice(3, 8)];
      while (lstmIn.length && lstmIn[lstmIn.length - 1] === '') lstmIn.pop();
      nodes.push({
        input: lstmIn,
        output: n.output,
        name: `${n.name}_float`,
        opType: 'LSTM',
        domain: '',
        attribute: n.attribute,
      });
      continue;
    }
    nodes.push(n);
  }
  g.node = nodes;
  // keep the initializers still referenced (subgraphs of If/Loop nodes included)
  const used = new Set<string>();
  const collect = (graph: Graph): void => {
    for (const n of graph.node) {
      for (const i of n.input) used.add(i);
      for (const a of n.attribute) {
        if (a.g) collect(a.g);
        for (const sg of a.graphs ?? []) collect(sg);
      }
    }
  };
  collect(g);
  g.initializer = [...g.initializer, ...added.values()].filter((t) => used.has(t.name));
  return type.encode(type.fromObject(model)).finish();
}

/**
 * The float MatMul weight that makes `x · w · scale` use the exact SincNet grid, for the quantised
 * grid `wq` whose dequantised-but-unscaled values are `w` (shape [1, half]).
 * @throws Error when the shapes differ from [1, half], or the quantised grid is more than one step
 *   away from the exact one, or a stored `onnx::Div_*` half-grid of the same length disagrees (so a
 *   different model is never silently changed).
 */
function exactSincWeight(wq: Tensor, w: Float32Array, g: Graph, init: Map<string, Tensor>): Float32Array {
  const dims = dimsOf(wq);
  const half = dims[dims.length - 1];
  if (dims.length !== 2 || dims[0] !== 1)
    throw new Error(`${wq.name}: expected shape [1, half], got [${dims}]`);
  const scaleName = wq.name.replace(/_quantized$/, '_scale');
  const scaleT = init.get(scaleName);
  if (!scaleT) throw new Error(`${wq.name}: no ${scaleName} initializer`);
  const scale = values(scaleT)[0];
  const exact = exactSincNetGrid(half);
  for (let k = 0; k < half; k++)
    if (Math.abs(w[k] * scale - exact[k]) > scale)
      throw new Error(
        `${wq.name}: tap ${k} is ${w[k] * scale}, more than one step from the exact ${exact[k]}`,
      );
  // the stored half-grid (divisor of the same kernels), when the export kept it, must agree
  const halves = g.initializer.filter(
    (t) =>
      t.name.startsWith('onnx::Div_') &&
      t.dataType === FLOAT &&
      dimsOf(t).reduce((a, b) => a * b, 1) === half,
  );
  if (halves.length && !halves.some((t) => values(t).every((v, k) => Math.abs(2 * v - exact[k]) < 1e-6)))
    throw new Error(
      `${wq.name}: the stored half-grid (${halves[0].name}) disagrees with the exact SincNet grid`,
    );
  return Float32Array.from(exact, (v) => v / scale);
}

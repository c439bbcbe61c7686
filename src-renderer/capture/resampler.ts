/**
 * Streaming band-limited resampler for the capture worklet: any input rate (44.1, 48, 96 kHz …) to
 * 16 kHz mono, one render quantum at a time, with state carried across calls so block boundaries
 * leave no seams. Windowed-sinc interpolation (Smith, "Digital Audio Resampling",
 * https://ccrma.stanford.edu/~jos/resample/) with a Kaiser window (β = 8.6, about −90 dB side
 * lobes) of {@link ZERO_CROSSINGS} zero crossings per side, the cut-off (−6 dB) at 0.94 × the
 * output Nyquist frequency (7.52 kHz at 16 kHz): flat within 0.5 dB to 6 kHz, ≥ 60 dB down from
 * 9 kHz (capture.test.ts), so what folds back into the speech band is negligible. The kernel
 * is tabulated ({@link TABLE_RES} points per zero crossing, linear interpolation) so the worklet
 * computes no trigonometry per sample. Pure (no DOM, no Node): runs in the AudioWorklet scope and
 * in vitest.
 */
import { RENDERER_CAPTURE_RATE } from '../../src-shared/contracts/capture.ts';

/** Zero crossings of the sinc kernel on each side. */
export const ZERO_CROSSINGS = 16;
/** Kernel table points per zero crossing. */
export const TABLE_RES = 256;
/** Kaiser window β (≈ −90 dB side lobes; Kaiser & Schafer 1980). */
const KAISER_BETA = 8.6;
/** Cut-off as a share of the output Nyquist frequency. */
const ROLLOFF = 0.94;

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** sinc(x) · Kaiser(x / Z) for x in [0, Z], sampled at 1 / TABLE_RES, plus one guard point. */
function kernelTable(): Float64Array {
  const n = ZERO_CROSSINGS * TABLE_RES;
  const t = new Float64Array(n + 2);
  const norm = besselI0(KAISER_BETA);
  for (let i = 0; i <= n; i++) {
    const x = i / TABLE_RES;
    const r = x / ZERO_CROSSINGS;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    t[i] = (sinc * besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r)))) / norm;
  }
  return t;
}

let sharedTable: Float64Array | null = null;

/** Resamples one mono stream from `inRate` to `outRate` (≤ inRate, or equal: a copy). */
export class StreamingResampler {
  /** Input samples per output sample. */
  readonly step: number;
  private readonly cutoff: number;
  /** Half width of the kernel, input samples. */
  private readonly half: number;
  private readonly table: Float64Array;
  /** Input history; buf[0] is absolute input sample `base`. */
  private buf: Float32Array;
  private len = 0;
  private base: number;
  /** Index of the next output sample. */
  private next = 0;

  /**
   * @param inRate input sample rate, Hz (8 000 … 384 000).
   * @param outRate output sample rate, Hz (≤ inRate); default the engine's capture rate (16 kHz).
   * @throws RangeError for rates out of range or upsampling.
   */
  constructor(
    readonly inRate: number,
    readonly outRate = RENDERER_CAPTURE_RATE,
  ) {
    if (!(inRate >= 8000 && inRate <= 384_000)) throw new RangeError(`input rate ${inRate} Hz out of range`);
    if (!(outRate >= 8000 && outRate <= inRate))
      throw new RangeError(`output rate ${outRate} Hz must be 8000 … ${inRate} Hz`);
    this.step = inRate / outRate;
    this.cutoff = (outRate / inRate) * ROLLOFF;
    this.half = Math.ceil(ZERO_CROSSINGS / this.cutoff);
    this.table = sharedTable ??= kernelTable();
    // the stream starts with `half` zeros of history, so output 0 is centred on input 0
    this.buf = new Float32Array(4096 + 2 * this.half);
    this.len = this.half;
    this.base = -this.half;
  }

  /** Delay of the output relative to the input, seconds (the kernel's look-ahead). */
  get latencyS(): number {
    return this.half / this.inRate;
  }

  /**
   * Appends input samples and returns the output samples that are now complete (their kernel's
   * right half has arrived); the count varies by ±1 between calls of equal length.
   */
  process(input: Float32Array): Float32Array {
    if (this.inRate === this.outRate) return input.slice();
    this.append(input);
    const end = this.base + this.len; // absolute index one past the last input sample
    const out: number[] = [];
    const { table, cutoff, half } = this;
    for (;;) {
      const t = this.next * this.step; // absolute input position of the output sample
      const hi = Math.floor(t) + half;
      if (hi >= end) break;
      let acc = 0;
      for (let i = Math.floor(t) - half + 1; i <= hi; i++) {
        const x = Math.abs(t - i) * cutoff * TABLE_RES;
        const k = x | 0;
        if (k >= ZERO_CROSSINGS * TABLE_RES) continue;
        const w = table[k] + (table[k + 1] - table[k]) * (x - k);
        acc += this.buf[i - this.base] * w;
      }
      out.push(acc * cutoff);
      this.next++;
    }
    this.trim();
    return Float32Array.from(out);
  }

  private append(input: Float32Array): void {
    if (this.len + input.length > this.buf.length) {
      const grown = new Float32Array(2 * (this.len + input.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(input, this.len);
    this.len += input.length;
  }

  /** Drops history no future output sample needs. */
  private trim(): void {
    const keepFrom = Math.floor(this.next * this.step) - this.half;
    const drop = keepFrom - this.base;
    if (drop <= 0) return;
    this.buf.copyWithin(0, drop, this.len);
    this.len -= drop;
    this.base = keepFrom;
  }
}

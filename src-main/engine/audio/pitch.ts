/**
 * Fundamental frequency (F0, pitch) tracking with YIN and per-speaker pitch statistics.
 *
 * Algorithm: YIN (A. de Cheveigné, H. Kawahara, "YIN, a fundamental frequency estimator for speech
 * and music", JASA 111(4), 2002), steps 2–5: squared-difference function over an integration
 * window, cumulative-mean-normalised difference (CMND), absolute threshold with descent to the
 * local minimum, parabolic interpolation of the lag. Voicing: the CMND minimum must be below
 * {@link PITCH_CONFIG}.voicedMaxCmnd and the frame's RMS level within `activeRangeDb` of the
 * loudest frame of the input (and above `minDbfs`).
 *
 * The same code computes the features of the training corpus (`training/pitch_features.ts`), so
 * the shipped age/gender model and the engine see identical statistics.
 */
import FFT from 'fft.js';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** Pitch tracker configuration (recorded in the age/gender model card; must match training). */
export const PITCH_CONFIG = {
  /** Input sample rate, Hz. */
  sampleRate: ENGINE_SAMPLE_RATE,
  /** Hop between frames, samples (10 ms; frame t starts at sample t × hop). */
  hop: 160,
  /** YIN integration window, samples (25 ms). A frame spans window + maxLag samples (~42 ms). */
  window: 400,
  /** Lowest F0 searched, Hz. */
  minHz: 60,
  /** Highest F0 searched, Hz. */
  maxHz: 500,
  /** YIN absolute threshold on the CMND (the paper uses 0.1–0.15). */
  threshold: 0.15,
  /** A frame is voiced only when its CMND minimum is below this value. */
  voicedMaxCmnd: 0.3,
  /** Frames quieter than the loudest frame minus this many dB are silence (not active). */
  activeRangeDb: 35,
  /** Frames below this RMS level (dBFS) are silence. */
  minDbfs: -60,
} as const;

const HOP = PITCH_CONFIG.hop;
const WIN = PITCH_CONFIG.window;
const MIN_LAG = Math.floor(PITCH_CONFIG.sampleRate / PITCH_CONFIG.maxHz);
const MAX_LAG = Math.ceil(PITCH_CONFIG.sampleRate / PITCH_CONFIG.minHz);
/** Samples one frame spans. */
const SPAN = WIN + MAX_LAG;
/** FFT size for the cross-correlation (≥ SPAN + WIN, power of two). */
const NFFT = 1024;

/** Frame-wise pitch track of one signal; all arrays have one value per frame. */
export interface PitchTrack {
  /** F0 in Hz, 0 where the frame is unvoiced or silent. */
  f0: Float32Array;
  /** CMND minimum (aperiodicity, 0 = perfectly periodic … ≥ 1 = noise). */
  cmnd: Float32Array;
  /** RMS level of the frame's integration window, dBFS (full scale = 1.0). */
  dbfs: Float32Array;
  /** 1 where the frame is active (loud enough to be speech), else 0. */
  active: Uint8Array;
}

/**
 * Number of pitch frames for `n` samples (0 when shorter than one frame span, ~42 ms).
 * @param n sample count at 16 kHz.
 */
export function pitchFrameCount(n: number): number {
  return n < SPAN ? 0 : Math.floor((n - SPAN) / HOP) + 1;
}

/**
 * YIN pitch track of a 16 kHz mono signal.
 * @param samples 16 kHz samples in [-1, 1].
 * @returns one value per 10 ms frame ({@link pitchFrameCount} frames).
 * @throws Error when `samples` contains non-finite values.
 */
export function trackPitch(samples: Float32Array): PitchTrack {
  const frames = pitchFrameCount(samples.length);
  const f0 = new Float32Array(frames);
  const cmnd = new Float32Array(frames);
  const dbfs = new Float32Array(frames);
  const active = new Uint8Array(frames);
  const d = new Float64Array(MAX_LAG + 1);
  const xc = new CrossCorrelator();
  let loudest = -Infinity;
  for (let t = 0; t < frames; t++) {
    const o = t * HOP;
    let energy = 0;
    for (let j = 0; j < WIN; j++) energy += samples[o + j] * samples[o + j];
    if (!Number.isFinite(energy)) throw new Error(`pitch: non-finite sample near index ${o}`);
    dbfs[t] = 10 * Math.log10(energy / WIN + 1e-12);
    loudest = Math.max(loudest, dbfs[t]);
    const [lag, minCmnd] = yinLag(samples, o, d, xc);
    cmnd[t] = minCmnd;
    if (lag > 0 && minCmnd < PITCH_CONFIG.voicedMaxCmnd) f0[t] = PITCH_CONFIG.sampleRate / lag;
  }
  const floor = Math.max(PITCH_CONFIG.minDbfs, loudest - PITCH_CONFIG.activeRangeDb);
  for (let t = 0; t < frames; t++) {
    active[t] = dbfs[t] >= floor ? 1 : 0;
    if (!active[t]) f0[t] = 0;
  }
  return { f0, cmnd, dbfs, active };
}

/**
 * Cross-correlation r(tau) = sum_{j<WIN} x[o+j] x[o+j+tau], tau = 0..MAX_LAG, of a frame via one
 * real FFT of the span, one of the window and one inverse FFT (fft.js, radix-4).
 */
class CrossCorrelator {
  private readonly fft = new FFT(NFFT);
  private readonly a = new Array<number>(NFFT).fill(0);
  private readonly b = new Array<number>(NFFT).fill(0);
  private readonly fa = this.fft.createComplexArray() as number[];
  private readonly fb = this.fft.createComplexArray() as number[];
  private readonly prod = this.fft.createComplexArray() as number[];
  private readonly out = this.fft.createComplexArray() as number[];

  /** @returns r [MAX_LAG + 1] in `r` (overwritten). */
  run(x: Float32Array, o: number, r: Float64Array): void {
    for (let j = 0; j < SPAN; j++) this.a[j] = x[o + j];
    for (let j = 0; j < WIN; j++) this.b[j] = x[o + j];
    this.fft.realTransform(this.fa, this.a);
    this.fft.completeSpectrum(this.fa);
    this.fft.realTransform(this.fb, this.b);
    this.fft.completeSpectrum(this.fb);
    // A · conj(B): correlation of the span with the window
    for (let k = 0; k < 2 * NFFT; k += 2) {
      const ar = this.fa[k];
      const ai = this.fa[k + 1];
      const br = this.fb[k];
      const bi = this.fb[k + 1];
      this.prod[k] = ar * br + ai * bi;
      this.prod[k + 1] = ai * br - ar * bi;
    }
    this.fft.inverseTransform(this.out, this.prod);
    for (let tau = 0; tau <= MAX_LAG; tau++) r[tau] = this.out[2 * tau];
  }
}

/**
 * YIN lag of the frame starting at `o`: squared-difference function
 * d(tau) = e(0) + e(tau) − 2 r(tau) with e(tau) the energy of x[o+tau … o+tau+WIN), CMND,
 * absolute threshold, local minimum, parabolic interpolation.
 * @param d scratch buffer of MAX_LAG + 1 values.
 * @returns [fractional lag in samples (0 when none in range), CMND at the chosen lag].
 */
function yinLag(x: Float32Array, o: number, d: Float64Array, xc: CrossCorrelator): [number, number] {
  xc.run(x, o, d);
  let e = 0;
  for (let j = 0; j < WIN; j++) e += x[o + j] * x[o + j];
  const e0 = e;
  for (let tau = 1; tau <= MAX_LAG; tau++) {
    e += x[o + tau + WIN - 1] * x[o + tau + WIN - 1] - x[o + tau - 1] * x[o + tau - 1];
    d[tau] = Math.max(0, e0 + e - 2 * d[tau]);
  }
  // cumulative mean normalised difference, in place (d[0] = 1 by definition)
  d[0] = 1;
  let running = 0;
  for (let tau = 1; tau <= MAX_LAG; tau++) {
    running += d[tau];
    d[tau] = running > 0 ? (d[tau] * tau) / running : 1;
  }
  let best = -1;
  for (let tau = MIN_LAG; tau <= MAX_LAG; tau++) {
    if (d[tau] < PITCH_CONFIG.threshold) {
      while (tau + 1 <= MAX_LAG && d[tau + 1] < d[tau]) tau++;
      best = tau;
      break;
    }
  }
  if (best < 0) {
    // no dip below the threshold: the global minimum (voicing decides later)
    best = MIN_LAG;
    for (let tau = MIN_LAG + 1; tau <= MAX_LAG; tau++) if (d[tau] < d[best]) best = tau;
  }
  const value = d[best];
  if (best <= MIN_LAG || best >= MAX_LAG) return [0, value];
  const a = d[best - 1];
  const b = d[best];
  const c = d[best + 1];
  const den = a - 2 * b + c;
  const shift = den > 0 ? (0.5 * (a - c)) / den : 0;
  return [best + Math.max(-0.5, Math.min(0.5, shift)), value];
}

/** Names of the entries of {@link pitchStats}, in order (model input `pitch_stats` [1, K]). */
export const PITCH_STATS_NAMES = [
  'f0_median_st',
  'f0_p10_st',
  'f0_p90_st',
  'voiced_ratio',
  'cmnd_voiced_mean',
] as const;

/** K, the length of the {@link pitchStats} vector. */
export const PITCH_STATS_DIM = PITCH_STATS_NAMES.length;

/** Fewer voiced frames than this: the F0 entries fall back to {@link NEUTRAL_F0_ST}. */
export const MIN_VOICED_FRAMES = 20;

/** F0 used when too little voicing was found, semitones re 100 Hz (≈ 165 Hz, between sexes). */
export const NEUTRAL_F0_ST = 8.7;

/** Semitones of `hz` relative to 100 Hz (12 × log2(hz / 100)). */
export const semitones = (hz: number): number => 12 * Math.log2(hz / 100);

/**
 * Per-speaker pitch statistics, the age/gender model's `pitch_stats` input:
 * - `f0_median_st`, `f0_p10_st`, `f0_p90_st`: median, 10th and 90th percentile of F0 over voiced
 *   frames, semitones re 100 Hz (100 Hz → 0, 200 Hz → 12);
 * - `voiced_ratio`: voiced frames / active frames, 0…1;
 * - `cmnd_voiced_mean`: mean YIN CMND over voiced frames (aperiodicity, breathiness), 0…0.3.
 *
 * With fewer than {@link MIN_VOICED_FRAMES} voiced frames the F0 entries are
 * {@link NEUTRAL_F0_ST} and `cmnd_voiced_mean` is the voicing limit.
 * @param input 16 kHz samples in [-1, 1] of one speaker (concatenated speech), or their track.
 * @returns Float32Array [K] in {@link PITCH_STATS_NAMES} order.
 * @throws Error when the samples contain non-finite values.
 */
export function pitchStats(input: Float32Array | PitchTrack): Float32Array {
  const track = input instanceof Float32Array ? trackPitch(input) : input;
  const voiced: number[] = [];
  let cm = 0;
  let activeCount = 0;
  for (let t = 0; t < track.f0.length; t++) {
    activeCount += track.active[t];
    if (track.f0[t] > 0) {
      voiced.push(semitones(track.f0[t]));
      cm += track.cmnd[t];
    }
  }
  const ratio = activeCount ? voiced.length / activeCount : 0;
  if (voiced.length < MIN_VOICED_FRAMES) {
    return Float32Array.from([
      NEUTRAL_F0_ST,
      NEUTRAL_F0_ST,
      NEUTRAL_F0_ST,
      ratio,
      PITCH_CONFIG.voicedMaxCmnd,
    ]);
  }
  voiced.sort((a, b) => a - b);
  return Float32Array.from([
    quantile(voiced, 0.5),
    quantile(voiced, 0.1),
    quantile(voiced, 0.9),
    ratio,
    cm / voiced.length,
  ]);
}

/** Linear-interpolated quantile of ascending `sorted` (numpy's default, "linear"). */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Kaldi-compatible 80-dim log-mel filterbank, streaming.
 *
 * Definition (Kaldi `compute-fbank-feats` defaults as implemented by
 * `torchaudio.compliance.kaldi.fbank`): 25 ms Povey window (Hann^0.85, symmetric), 10 ms hop,
 * snip_edges, per-frame DC removal, pre-emphasis 0.97 (first sample replicated), zero-padded to a
 * 512-point FFT, power spectrum, 80 triangular mel filters between 20 Hz and Nyquist on the
 * scale mel(f) = 1127 ln(1 + f/700), natural log floored at float32 epsilon, dither 0. The input
 * waveform is scaled to the int16 range (×32768) first, as speaker-embedding recipes do
 * (WeSpeaker, 3D-Speaker, sherpa-onnx). Checked against torchaudio in `fbank.test.ts`.
 */
import FFT from 'fft.js';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** Feature configuration (recorded in model metadata; must match training). */
export const FBANK_CONFIG = {
  sampleRate: ENGINE_SAMPLE_RATE,
  numMelBins: 80,
  frameLength: 400,
  frameShift: 160,
  fftSize: 512,
  lowFreq: 20,
  preemphasis: 0.97,
  windowType: 'povey',
  inputScale: 32768,
} as const;

/** Fbank feature dimension: mel bins per frame (80). */
export const FB_DIM = FBANK_CONFIG.numMelBins;
/** Fbank hop, samples (160 = 10 ms). */
export const FB_HOP = FBANK_CONFIG.frameShift;
/** Fbank window, samples (400 = 25 ms). */
export const FB_WIN = FBANK_CONFIG.frameLength;
/** Fbank frames per second of audio (100: one per 10 ms hop); frames ÷ this = seconds. */
export const FBANK_FRAMES_PER_S = FBANK_CONFIG.sampleRate / FBANK_CONFIG.frameShift;

const NUM_BINS = FB_DIM;
const WIN = FB_WIN;
const HOP = FB_HOP;
const NFFT = FBANK_CONFIG.fftSize;
const EPS = 1.1920928955078125e-7; // torch.finfo(torch.float).eps

const melScale = (f: number): number => 1127 * Math.log(1 + f / 700);

/** Povey window: symmetric Hann raised to 0.85 (Kaldi feature-window.cc). */
function poveyWindow(): Float64Array {
  const w = new Float64Array(WIN);
  for (let n = 0; n < WIN; n++) w[n] = Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (WIN - 1)), 0.85);
  return w;
}

/** Sparse mel filter: weights over FFT bins [first, first + weights.length). */
interface MelFilter {
  first: number;
  weights: Float64Array;
}

/** Triangular mel filters as in Kaldi `MelBanks` (torchaudio `get_mel_banks`). */
function melFilters(): MelFilter[] {
  const nyquist = FBANK_CONFIG.sampleRate / 2;
  const binWidth = FBANK_CONFIG.sampleRate / NFFT;
  const melLow = melScale(FBANK_CONFIG.lowFreq);
  const melHigh = melScale(nyquist);
  const delta = (melHigh - melLow) / (NUM_BINS + 1);
  const filters: MelFilter[] = [];
  for (let b = 0; b < NUM_BINS; b++) {
    const left = melLow + b * delta;
    const center = left + delta;
    const right = center + delta;
    const w: number[] = [];
    let first = -1;
    // torchaudio uses FFT bins 0..NFFT/2-1 and a zero weight for the Nyquist bin.
    for (let k = 0; k < NFFT / 2; k++) {
      const mel = melScale(binWidth * k);
      const up = (mel - left) / (center - left);
      const down = (right - mel) / (right - center);
      const v = Math.max(0, Math.min(up, down));
      if (v > 0) {
        if (first < 0) first = k;
        w[k - first] = v;
      } else if (first >= 0 && k > first) {
        // fill interior zeros (none for triangular filters) and stop after the filter
        break;
      }
    }
    filters.push({ first: Math.max(first, 0), weights: Float64Array.from(w, (x) => x ?? 0) });
  }
  return filters;
}

const WINDOW = poveyWindow();
const FILTERS = melFilters();

/**
 * Computes fbank frames for a block of samples that holds whole frames.
 * @param samples waveform in [-1, 1] at 16 kHz.
 * @returns Float32Array of shape [frames, 80] (row-major), frames = 1 + ⌊(n − 400) / 160⌋ (0 if n < 400).
 */
export function computeFbank(samples: Float32Array): Float32Array {
  const nFrames = samples.length < WIN ? 0 : 1 + Math.floor((samples.length - WIN) / HOP);
  const out = new Float32Array(nFrames * NUM_BINS);
  const fft = new FFT(NFFT);
  const frame = new Float64Array(NFFT);
  const input = new Array<number>(NFFT).fill(0);
  const spec = fft.createComplexArray() as number[];
  const power = new Float64Array(NFFT / 2 + 1);
  const scale = FBANK_CONFIG.inputScale;
  for (let f = 0; f < nFrames; f++) {
    const off = f * HOP;
    let mean = 0;
    for (let n = 0; n < WIN; n++) {
      frame[n] = samples[off + n] * scale;
      mean += frame[n];
    }
    mean /= WIN;
    for (let n = 0; n < WIN; n++) frame[n] -= mean;
    // pre-emphasis with the first sample replicated, then window
    for (let n = WIN - 1; n > 0; n--)
      input[n] = (frame[n] - FBANK_CONFIG.preemphasis * frame[n - 1]) * WINDOW[n];
    input[0] = (frame[0] - FBANK_CONFIG.preemphasis * frame[0]) * WINDOW[0];
    for (let n = WIN; n < NFFT; n++) input[n] = 0;
    fft.realTransform(spec, input);
    for (let k = 0; k <= NFFT / 2; k++)
      power[k] = spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
    const row = f * NUM_BINS;
    for (let b = 0; b < NUM_BINS; b++) {
      const { first, weights } = FILTERS[b];
      let e = 0;
      for (let i = 0; i < weights.length; i++) e += weights[i] * power[first + i];
      out[row + b] = Math.log(Math.max(e, EPS));
    }
  }
  return out;
}

/**
 * Streaming fbank: push samples in any block sizes and get the frames that became complete.
 * Frame j (global index) covers samples [160 j, 160 j + 400).
 */
export class FbankStream {
  private tail = new Float32Array(0);
  /** Global index of the next frame to be produced. */
  nextFrame = 0;

  /** @returns new frames, [n, 80] row-major. */
  push(samples: Float32Array): Float32Array {
    const buf = new Float32Array(this.tail.length + samples.length);
    buf.set(this.tail);
    buf.set(samples, this.tail.length);
    const frames = computeFbank(buf);
    const n = frames.length / NUM_BINS;
    this.nextFrame += n;
    this.tail = buf.slice(n * HOP);
    return frames;
  }
}

/**
 * Per-utterance cepstral mean normalisation in place: subtracts each dimension's mean over frames.
 * @param feats [frames, dim] row-major.
 */
export function applyCmn(feats: Float32Array, dim: number = NUM_BINS): Float32Array {
  const n = feats.length / dim;
  if (n === 0) return feats;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += feats[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) feats[i * dim + d] -= mean[d];
  return feats;
}

/**
 * Turning per-frame speech probabilities into speech regions with hysteresis and minimum
 * durations. Defaults follow Silero VAD's `get_speech_timestamps` (snakers4/silero-vad
 * `utils_vad.py`: threshold 0.5, neg_threshold = threshold − 0.15, min_speech 250 ms,
 * min_silence 100 ms, speech_pad 30 ms).
 */

/** A time interval in seconds, `start < end`. */
export interface Interval {
  start: number;
  end: number;
}

/** Hysteresis parameters of {@link speechRegionsFromProbs}. */
export interface HysteresisOptions {
  /** Probability at or above which speech starts, in (0, 1). */
  onset: number;
  /** Probability below which speech ends, in (0, onset]. */
  offset: number;
  /** Regions shorter than this are dropped, seconds. */
  minSpeechS: number;
  /** Gaps shorter than this are bridged, seconds. */
  minSilenceS: number;
  /** Padding added on both sides of each region, seconds. */
  padS: number;
}

/**
 * VAD speech probability at or above which speech starts (Silero `threshold` 0.5). Every VAD state
 * of Callscope uses it: file regions, live regions and events, self-VAD, the diarizers' gates.
 */
export const VAD_ONSET = 0.5;
/** VAD speech probability below which speech ends (Silero `neg_threshold` = 0.5 − 0.15 = 0.35). */
export const VAD_OFFSET = 0.35;

/** Silero's defaults (module doc), with {@link VAD_ONSET} and {@link VAD_OFFSET}. */
export const DEFAULT_HYSTERESIS: HysteresisOptions = {
  onset: VAD_ONSET,
  offset: VAD_OFFSET,
  minSpeechS: 0.25,
  minSilenceS: 0.1,
  padS: 0.03,
};

/**
 * Speech regions from frame probabilities.
 * @param probs speech probability per frame, in [0, 1].
 * @param hopS frame hop in seconds (frame i covers [i·hop, (i+1)·hop)).
 * @param durationS total duration; regions are clipped to [0, durationS].
 * @returns sorted, non-overlapping regions.
 */
export function speechRegionsFromProbs(
  probs: ArrayLike<number>,
  hopS: number,
  durationS: number,
  opts: HysteresisOptions = DEFAULT_HYSTERESIS,
): Interval[] {
  const raw: Interval[] = [];
  let inSpeech = false;
  let start = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (!inSpeech && p >= opts.onset) {
      inSpeech = true;
      start = i * hopS;
    } else if (inSpeech && p < opts.offset) {
      inSpeech = false;
      raw.push({ start, end: i * hopS });
    }
  }
  if (inSpeech) raw.push({ start, end: probs.length * hopS });
  return postProcessRegions(raw, durationS, opts);
}

/** Bridges short gaps, drops short regions, pads and clips. Input must be sorted. */
export function postProcessRegions(
  regions: Interval[],
  durationS: number,
  opts: Pick<HysteresisOptions, 'minSpeechS' | 'minSilenceS' | 'padS'>,
): Interval[] {
  const merged: Interval[] = [];
  for (const r of regions) {
    const last = merged[merged.length - 1];
    if (last && r.start - last.end < opts.minSilenceS) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  const out: Interval[] = [];
  for (const r of merged) {
    if (r.end - r.start < opts.minSpeechS) continue;
    const start = Math.max(0, r.start - opts.padS);
    const end = Math.min(durationS, r.end + opts.padS);
    const last = out[out.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else if (end > start) out.push({ start, end });
  }
  return out;
}

/** Total duration of intervals, seconds. */
export function totalDuration(regions: Interval[]): number {
  return regions.reduce((s, r) => s + (r.end - r.start), 0);
}

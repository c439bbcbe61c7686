/**
 * Dual-channel self-VAD: which mic-channel speech is the local user, and which is the remote
 * party leaking into the mic (speakers instead of headphones, acoustic echo).
 *
 * Per 32 ms frame, the mic's speech probability is kept only where the mic's level exceeds the
 * system channel's level by more than the estimated bleed gain plus a margin, or where the system
 * channel is silent. The bleed gain (dB of system audio that reaches the mic) is the 30th
 * percentile of mic-minus-system level over frames where the system channel has speech: when the
 * remote party talks, most frames carry only bleed on the mic, and a low percentile stays robust
 * to double talk. This is an energy-ratio detector in the spirit of the Geigel double-talk
 * detector (Duttweiler, "A twelve-channel digital echo canceler", IEEE Trans. Comm. 1978).
 */
import { QUALITY_FRAME, type QualityAccumulator, dbfs } from '../audio/quality.ts';
import { VAD_OFFSET, VAD_ONSET } from './regions.ts';
import { SILERO_FRAME } from './silero.ts';

/** System-channel probability below which the system counts as silent (the VAD offset). */
const SYSTEM_SILENT = VAD_OFFSET;
/** System-channel probability at or above which a frame is used for the bleed estimate (the VAD onset). */
const SYSTEM_SPEECH = VAD_ONSET;

/**
 * Estimated bleed gain, dB (mic level − system level while the remote party speaks); −60 when
 * there is too little remote speech to tell (at least 30 frames ≈ 1 s are needed).
 */
export function estimateBleedDb(micPow: number[], sysPow: number[], sysProbs: ArrayLike<number>): number {
  const diffs: number[] = [];
  for (let f = 0; f < sysProbs.length && f < micPow.length; f++) {
    if (sysProbs[f] >= SYSTEM_SPEECH && sysPow[f] > 0) diffs.push(dbfs(micPow[f]) - dbfs(sysPow[f]));
  }
  if (diffs.length < 30) return -60;
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length * 0.3)];
}

/**
 * Local-user speech probabilities for the mic channel.
 * @param micProbs Silero probabilities of the mic, one per 32 ms frame.
 * @param sysProbs Silero probabilities of the system channel, same framing.
 * @param marginDb how far above the bleed level the mic must be (dB, ≥ 0).
 * @returns probabilities in [0, 1], same length as micProbs.
 */
export function selfVadProbabilities(
  micProbs: number[],
  sysProbs: number[],
  mic: QualityAccumulator,
  sys: QualityAccumulator,
  marginDb: number,
): number[] {
  if (SILERO_FRAME !== QUALITY_FRAME) throw new Error('self-VAD needs VAD and level frames of the same size');
  const micPow = micProbs.map((_, f) => mic.framePowerAt(f));
  const sysPow = micProbs.map((_, f) => sys.framePowerAt(f));
  const bleed = estimateBleedDb(micPow, sysPow, sysProbs);
  return micProbs.map((p, f) => {
    const s = sysProbs[f] ?? 0;
    if (s < SYSTEM_SILENT) return p;
    const diff = dbfs(micPow[f]) - dbfs(sysPow[f]);
    return diff > bleed + marginDb ? p : 0;
  });
}

/**
 * Per-channel audio quality: clipping ratio, RMS level (dBFS), speech level, estimated SNR and
 * speech ratio, with flags.
 *
 * Thresholds (documented defaults, overridable):
 *  - `clipping`: more than 0.1 % of samples at |x| ≥ 0.999 (ITU-T P.56-style "peak at full
 *    scale"; a few isolated full-scale samples are tolerated).
 *  - `low_volume`: active speech level below −35 dBFS (speech in calls is usually −26 ± 6 dBFS;
 *    ITU-T P.56 active speech level, nominal −26 dBov).
 *  - `silence`: channel RMS below −60 dBFS or less than 1 % speech.
 *  - `low_snr`: estimated SNR below 10 dB (speech becomes tiring to follow and diarization
 *    degrades; cf. DNS challenge SNR ranges).
 *  - `narrowband`: the source sample rate is at most 8 kHz (telephone band).
 * SNR estimate: mean power of VAD-speech frames over mean power of non-speech frames, minus
 * one (power subtraction), in dB; with < 1 s of non-speech the 10th percentile frame power is the
 * noise floor.
 */
import type { ChannelQuality, ChannelRole, QualityFlag } from '../../../src-shared/contracts/analysis.ts';
import { type Interval } from '../vad/regions.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';
import { round } from '../../../src-shared/math.ts';

export const QUALITY_THRESHOLDS = {
  clipLevel: 0.999,
  clippingRatio: 0.001,
  lowVolumeDbfs: -35,
  silenceDbfs: -60,
  silenceSpeechRatio: 0.01,
  lowSnrDb: 10,
} as const;

/** Analysis frame for quality statistics, samples (32 ms at 16 kHz; aligned with Silero frames). */
export const QUALITY_FRAME = 512;

/** Power in dBFS from a mean square value (full-scale square wave = 0 dBFS). */
export function dbfs(meanSquare: number): number {
  return meanSquare > 0 ? Math.max(-120, 10 * Math.log10(meanSquare)) : -120;
}

/** Streaming accumulator of one channel's quality statistics. */
export class QualityAccumulator {
  private samples = 0;
  private clipped = 0;
  private sumSq = 0;
  private frameSq = 0;
  private frameN = 0;
  /** Mean square per 32 ms frame. */
  private framePower: number[] = [];

  constructor(readonly channel: ChannelRole) {}

  /** Feeds samples (16 kHz, [-1, 1]). */
  push(x: Float32Array): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const sq = v * v;
      this.sumSq += sq;
      if (v >= QUALITY_THRESHOLDS.clipLevel || v <= -QUALITY_THRESHOLDS.clipLevel) this.clipped++;
      this.frameSq += sq;
      if (++this.frameN === QUALITY_FRAME) {
        this.framePower.push(this.frameSq / QUALITY_FRAME);
        this.frameSq = 0;
        this.frameN = 0;
      }
    }
    this.samples += x.length;
  }

  /** Mean-square power of 32 ms frame `i` (0 beyond the end). */
  framePowerAt(i: number): number {
    return this.framePower[i] ?? 0;
  }

  /**
   * Final statistics.
   * @param speech VAD speech regions of this channel, seconds.
   * @param narrowband whether the source is band-limited to ≤ 4 kHz (8 kHz sampling).
   */
  finish(speech: Interval[], narrowband: boolean): ChannelQuality {
    const n = Math.max(this.samples, 1);
    const durS = this.samples / ENGINE_SAMPLE_RATE;
    const frameS = QUALITY_FRAME / ENGINE_SAMPLE_RATE;
    const isSpeech = new Uint8Array(this.framePower.length);
    for (const r of speech) {
      for (
        let f = Math.floor(r.start / frameS);
        f < Math.min(isSpeech.length, Math.ceil(r.end / frameS));
        f++
      )
        isSpeech[f] = 1;
    }
    let sp = 0;
    let spN = 0;
    let ns = 0;
    let nsN = 0;
    this.framePower.forEach((p, f) => {
      if (isSpeech[f]) {
        sp += p;
        spN++;
      } else {
        ns += p;
        nsN++;
      }
    });
    const speechS = speech.reduce((s, r) => s + r.end - r.start, 0);
    const speechRatio = durS > 0 ? Math.min(1, speechS / durS) : 0;
    const speechPower = spN ? sp / spN : 0;
    let noisePower = nsN ? ns / nsN : 0;
    if (nsN * frameS < 1 && this.framePower.length) {
      const sorted = [...this.framePower].sort((a, b) => a - b);
      noisePower = sorted[Math.floor(sorted.length * 0.1)];
    }
    let snrDb: number | null = null;
    if (spN && speechPower > 0) {
      const ratio = noisePower > 0 ? Math.max(speechPower / noisePower - 1, 1e-3) : 1e6;
      snrDb = Math.min(60, 10 * Math.log10(ratio));
    }
    const rmsDbfs = dbfs(this.sumSq / n);
    const speechDbfs = spN ? dbfs(speechPower) : null;
    const clippingRatio = this.clipped / n;
    const flags: QualityFlag[] = [];
    const t = QUALITY_THRESHOLDS;
    if (clippingRatio > t.clippingRatio) flags.push('clipping');
    const silent = rmsDbfs < t.silenceDbfs || speechRatio < t.silenceSpeechRatio;
    if (silent) flags.push('silence');
    if (!silent && speechDbfs !== null && speechDbfs < t.lowVolumeDbfs) flags.push('low_volume');
    if (!silent && snrDb !== null && snrDb < t.lowSnrDb) flags.push('low_snr');
    if (narrowband) flags.push('narrowband');
    return {
      channel: this.channel,
      clippingRatio: round(clippingRatio, 6),
      rmsDbfs: round(rmsDbfs, 2),
      speechDbfs: speechDbfs === null ? null : round(speechDbfs, 2),
      snrDb: snrDb === null ? null : round(snrDb, 2),
      speechRatio: round(speechRatio, 4),
      flags,
    };
  }
}

/**
 * From per-window local activity + cluster assignments to global speaker turns, after pyannote's
 * `SpeakerDiarization.reconstruct` / `to_diarization` (pyannote-audio 3.x): the per-frame speaker
 * count is the rounded mean, over the windows covering a frame, of the number of active local
 * speakers; each frame then takes that many clusters with the highest summed activity.
 */
import { SEG_FRAMES, SEG_FRAME_STEP, SEG_SPEAKERS, frameCenterS, globalFrame } from './segmentation.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** A window's activity and the cluster of each local speaker (−1 = none). */
export interface ClusteredWindow {
  startSample: number;
  /** [589, 3] row-major, 0/1. */
  activity: Uint8Array;
  /** Cluster per local speaker, length 3. */
  clusters: Int32Array;
}

/** One speaker turn on a single channel, seconds. */
export interface ClusterTurn {
  start: number;
  end: number;
  cluster: number;
}

/** Options of {@link reconstructTurns}. */
export interface ReconstructOptions {
  /** Turns shorter than this are dropped, seconds. */
  minDurationOn: number;
  /** Same-speaker gaps shorter than this are filled, seconds. */
  minDurationOff: number;
  /**
   * Added to the mean local-speaker count before rounding (0 = pyannote's plain rounding); a
   * positive bias keeps more overlapped speech, which the int8 model under-counts on AMI.
   */
  countBias?: number;
}

/** Defaults: drop sub-50 ms slivers (a few output frames), no gap filling (pyannote 3.x: 0/0). */
export const DEFAULT_RECONSTRUCT: ReconstructOptions = { minDurationOn: 0.05, minDurationOff: 0.0 };

/**
 * Builds turns.
 * @param windows clustered windows (any order).
 * @param numClusters number of clusters K.
 * @param nSamples channel length in samples (turns are clipped to it).
 * @returns turns sorted by start; a cluster's turns never overlap each other.
 */
export function reconstructTurns(
  windows: ClusteredWindow[],
  numClusters: number,
  nSamples: number,
  opts: ReconstructOptions = DEFAULT_RECONSTRUCT,
): ClusterTurn[] {
  if (!windows.length || numClusters === 0) return [];
  const durationS = nSamples / ENGINE_SAMPLE_RATE;
  let nFrames = 0;
  for (const w of windows) nFrames = Math.max(nFrames, globalFrame(w.startSample, SEG_FRAMES));
  const countSum = new Float32Array(nFrames);
  const coverage = new Uint16Array(nFrames);
  const score = new Float32Array(nFrames * numClusters);
  for (const w of windows) {
    const g0 = globalFrame(w.startSample, 0);
    for (let i = 0; i < SEG_FRAMES; i++) {
      const g = g0 + i;
      let active = 0;
      for (let s = 0; s < SEG_SPEAKERS; s++) {
        const a = w.activity[i * SEG_SPEAKERS + s];
        active += a;
        const c = w.clusters[s];
        if (a && c >= 0) score[g * numClusters + c] += 1;
      }
      countSum[g] += active;
      coverage[g]++;
    }
  }
  const binary = new Uint8Array(nFrames * numClusters);
  const order = Array.from({ length: numClusters }, (_, i) => i);
  for (let g = 0; g < nFrames; g++) {
    if (!coverage[g]) continue;
    const count = Math.round(countSum[g] / coverage[g] + (opts.countBias ?? 0));
    if (!count) continue;
    const row = g * numClusters;
    order.sort((a, b) => score[row + b] - score[row + a]);
    for (let r = 0; r < Math.min(count, numClusters); r++) {
      if (score[row + order[r]] > 0) binary[row + order[r]] = 1;
    }
  }
  const half = SEG_FRAME_STEP / 2 / ENGINE_SAMPLE_RATE;
  const turns: ClusterTurn[] = [];
  for (let c = 0; c < numClusters; c++) {
    const runs: ClusterTurn[] = [];
    let start = -1;
    for (let g = 0; g <= nFrames; g++) {
      const on = g < nFrames && binary[g * numClusters + c] === 1;
      if (on && start < 0) start = g;
      if (!on && start >= 0) {
        const s = Math.max(0, frameCenterS(start) - half);
        const e = Math.min(durationS, frameCenterS(g - 1) + half);
        if (e > s) runs.push({ start: s, end: e, cluster: c });
        start = -1;
      }
    }
    turns.push(...smoothRuns(runs, opts));
  }
  return turns.sort((a, b) => a.start - b.start || a.cluster - b.cluster);
}

/** Fills short gaps then drops short turns, for one cluster's sorted runs. */
function smoothRuns(runs: ClusterTurn[], opts: ReconstructOptions): ClusterTurn[] {
  const merged: ClusterTurn[] = [];
  for (const r of runs) {
    const last = merged[merged.length - 1];
    if (last && r.start - last.end < opts.minDurationOff) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged.filter((r) => r.end - r.start >= opts.minDurationOn);
}

/**
 * Streaming diarization of one channel: sliding 10 s segmentation windows, one embedding per
 * (window, active local speaker) from the fbank frames where that speaker speaks alone, then
 * (at the end) constrained clustering and reconstruction into turns. Memory is bounded by one
 * window of audio and features plus ~7 kB of activity and one embedding per speaker per window.
 */
import { FbankStream } from '../audio/fbank.ts';
import {
  type ClusteringOptions,
  DEFAULT_CLUSTERING,
  clusterEmbeddings,
  dot,
  type EmbeddingNormalization,
  l2normalize,
  normalizeEmbeddings,
  type EmbeddingItem,
} from './clustering.ts';
import type { EmbeddingBackend } from './embedding.ts';
import { activeFrameCount, FB_DIM, FB_HOP, FB_WIN, gatherRows, speakerFrames } from './speaker-frames.ts';
import { buildTracks, type TrackOptions } from './tracks.ts';
import { clusterVbx, type VbxClusteringOptions } from './vbx-clustering.ts';
import {
  type ClusterTurn,
  DEFAULT_RECONSTRUCT,
  type ReconstructOptions,
  reconstructTurns,
} from './reconstruct.ts';
import { SEG_FRAMES, SEG_SPEAKERS, SEG_WINDOW, type Segmenter } from './segmentation.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/**
 * Segmentation requests a diarizer keeps in flight before it waits for the oldest (each holds a
 * copy of its 10 s windows, 640 kB per window).
 */
export const MAX_INFLIGHT = 3;

/** Options of {@link ChannelDiarizer}. */
export interface ChannelDiarizerOptions {
  /** Window step, samples (≤ 16 000 = 1 s). */
  stepSamples: number;
  /**
   * Windows per segmentation batch. Default 1: the int8 model quantises each input tensor with one
   * dynamic scale (DynamicQuantizeLinear), so batching makes a window's output depend on its
   * batch-mates and on the thread count (dev DER moved between 35.3 % and 37.1 % with batch 4);
   * batch 1 is deterministic and identical for file and live analysis, at ~14 % more time.
   */
  batchSize: number;
  /** A local speaker needs at least this many active output frames to get an embedding. */
  minActiveFrames: number;
  /** Normalisation of embeddings before clustering (default: the embedding backend's). */
  normalization?: EmbeddingNormalization;
  clustering: Omit<ClusteringOptions, 'threshold'> & { threshold?: number };
  /**
   * Link local speakers of overlapping windows into tracks before clustering (null = off; off by
   * default: with the fbank-stats baseline it raised dev DER from 35 % to 40–42 %, bench/README.md).
   */
  tracks: TrackOptions | null;
  reconstruct: ReconstructOptions;
  /**
   * Merge all clusters into one speaker when every pair of centroids is closer than this cosine
   * distance (see {@link clusterSnapshot}; null/absent = off). Used for the system channel of calls.
   */
  oneSpeakerBelow?: number | null;
  /** Cluster with AHC-initialised VBx (vbx-clustering.ts) instead of AHC alone (null/absent = AHC). */
  vbx?: VbxClusteringOptions | null;
}

export const DEFAULT_CHANNEL_DIARIZER: ChannelDiarizerOptions = {
  stepSamples: ENGINE_SAMPLE_RATE, // 1 s
  batchSize: 1,
  minActiveFrames: 30,
  clustering: DEFAULT_CLUSTERING,
  reconstruct: DEFAULT_RECONSTRUCT,
  tracks: null,
};

/** Time spent in each sub-stage, ms. */
export interface DiarizerTimings {
  segmentation: number;
  embedding: number;
  clustering: number;
}

/**
 * Whether the VAD hears possible speech in channel samples [startSample, endSample) (16 kHz).
 * `false` lets the diarizer skip the segmentation model for that window: it is stored as a
 * window where no local speaker is active (issue 13: a 2-h silent file took 12 min).
 */
export type SpeechGate = (startSample: number, endSample: number) => boolean;

/**
 * A {@link SpeechGate} over VAD speech probabilities: a window is silent when no VAD frame that
 * overlaps it reaches `maxSilentProb` (a partial last frame, < one hop, is ignored). Frames not
 * computed yet count as possible speech.
 * @param probs per-frame speech probabilities in [0, 1], growing as the VAD runs (read live).
 * @param hopSamples VAD frame hop, samples at 16 kHz (frame i covers [i·hop, (i+1)·hop)).
 * @param maxSilentProb probability at or above which a frame may be speech (default 0.2, well
 *   below the hysteresis offset `VAD_OFFSET` (0.35) of vad/regions.ts, so skipping is conservative).
 * @throws Error when `hopSamples` is not positive.
 */
export function vadSpeechGate(probs: ArrayLike<number>, hopSamples: number, maxSilentProb = 0.2): SpeechGate {
  if (!(hopSamples > 0)) throw new Error(`VAD hop must be positive, got ${hopSamples} samples`);
  return (startSample, endSample) => {
    const f0 = Math.floor(startSample / hopSamples);
    // frames that start before the end; a last partial frame (< one hop) is not computed until
    // more audio arrives and is ignored
    const f1 = Math.max(f0 + 1, Math.floor(endSample / hopSamples));
    if (f1 > probs.length) return true;
    for (let f = f0; f < f1; f++) if (probs[f] >= maxSilentProb) return true;
    return false;
  };
}

/** One segmented window of a {@link DiarizerSnapshot}. */
export interface StoredWindow {
  startSample: number;
  /** binarised activity [589, 3] row-major, 0/1 */
  activity: Uint8Array;
  /** embedding item index per local speaker, −1 = none */
  items: Int32Array;
}

/** What a channel diarizer collected before clustering: enough to re-cluster with other options. */
export interface DiarizerSnapshot {
  /** samples of the channel (16 kHz) */
  total: number;
  windows: StoredWindow[];
  items: EmbeddingItem[];
}

/** Largest cosine distance between two of the (L2-normalised) centroids. */
function maxCentroidDistance(centroids: Float32Array[]): number {
  let d = 0;
  for (let i = 0; i < centroids.length; i++)
    for (let j = i + 1; j < centroids.length; j++) d = Math.max(d, 1 - dot(centroids[i], centroids[j]));
  return d;
}

/**
 * Clusters a snapshot's embeddings and reconstructs turns (what {@link ChannelDiarizer.finish}
 * does after its last window; pure, so cached snapshots can be re-clustered for tuning).
 * @param normalization embedding normalisation before cosine scoring.
 * @param tracks link local speakers into tracks first (null = off).
 * @param oneSpeakerBelow when every pair of cluster centroids is closer than this cosine distance,
 *   all clusters are merged into one speaker (model selection for a channel where one speaker is
 *   the rule, e.g. the system channel of a call; null = off).
 * @param vbxOpts cluster with AHC-initialised VBx (vbx-clustering.ts) instead of AHC alone (null =
 *   AHC; ignored with tracks).
 */
export function clusterSnapshot(
  snap: DiarizerSnapshot,
  normalization: EmbeddingNormalization,
  clustering: ClusteringOptions,
  reconstruct: ReconstructOptions,
  tracks: TrackOptions | null = null,
  oneSpeakerBelow: number | null = null,
  vbxOpts: VbxClusteringOptions | null = null,
): ChannelDiarization {
  const vectors = normalizeEmbeddings(
    snap.items.map((i) => i.vector),
    normalization,
  );
  const normalized = snap.items.map((it, i) => ({ ...it, vector: vectors[i] }));
  const groups = tracks ? buildTracks(snap.windows, snap.items.length, tracks) : undefined;
  let { labels, centroids } =
    vbxOpts && !groups
      ? clusterVbx(
          normalized,
          snap.items.map((i) => i.vector),
          clustering,
          vbxOpts,
        )
      : clusterEmbeddings(normalized, clustering, groups);
  if (oneSpeakerBelow !== null && centroids.length > 1 && maxCentroidDistance(centroids) < oneSpeakerBelow) {
    // the evidence for more than one speaker is too weak: one speaker (cannot-link ignored)
    const mean = new Float32Array(centroids[0].length);
    for (const c of centroids) for (let j = 0; j < mean.length; j++) mean[j] += c[j];
    centroids = [l2normalize(mean, mean)];
    labels = new Int32Array(labels.length);
  }
  const clustered = snap.windows.map((w) => ({
    startSample: w.startSample,
    activity: w.activity,
    clusters: Int32Array.from(w.items, (it) => (it >= 0 ? labels[it] : -1)),
  }));
  const turns = reconstructTurns(clustered, centroids.length, snap.total, reconstruct);
  return {
    turns,
    numClusters: centroids.length,
    centroids,
    windows: snap.windows.length,
    embeddings: snap.items.length,
  };
}

/** Result of {@link ChannelDiarizer.finish}. */
export interface ChannelDiarization {
  turns: ClusterTurn[];
  numClusters: number;
  /** L2-normalised centroid per cluster (in the clustering space). */
  centroids: Float32Array[];
  windows: number;
  embeddings: number;
}

/** Streaming diarizer for one channel. */
export class ChannelDiarizer {
  private buf = new Float32Array(0);
  /** Global sample index of buf[0]. */
  private bufStart = 0;
  private total = 0;
  private nextStart = 0;
  private readonly fbank = new FbankStream();
  private fb = new Float32Array(0);
  /** Global fbank frame index of fb row 0. */
  private fbStart = 0;
  private readonly windows: StoredWindow[] = [];
  private readonly items: EmbeddingItem[] = [];
  private pendingStarts: number[] = [];
  /** Start of the last window queued (regular or end-aligned), −1 before the first. */
  private lastQueuedStart = -1;
  /** Segmentation requests sent and not yet embedded, oldest first. */
  private readonly inflight: { starts: number[]; acts: Promise<Uint8Array[]> }[] = [];
  readonly timings: DiarizerTimings = { segmentation: 0, embedding: 0, clustering: 0 };
  /** Windows the {@link SpeechGate} let skip the segmentation model. */
  skippedWindows = 0;

  /**
   * @param speechGate when given, windows it calls silent are not segmented (stored with no
   *   active speaker); it is asked when a window is sent, so the caller runs the VAD on each block
   *   before pushing it here.
   */
  constructor(
    private readonly segmenter: Pick<Segmenter, 'segment'>,
    private readonly embedder: EmbeddingBackend,
    private readonly opts: ChannelDiarizerOptions = DEFAULT_CHANNEL_DIARIZER,
    private readonly onWindow?: (windowsDone: number) => void,
    private readonly speechGate?: SpeechGate,
  ) {}

  /**
   * Feeds the next samples of the channel (16 kHz, [-1, 1]). Windows are sent to the segmenter as
   * soon as they are complete and embedded when their result comes back; up to
   * {@link MAX_INFLIGHT} requests stay in flight, so a segmenter in a worker thread works while
   * the caller decodes and runs the VAD (results and their order do not depend on this).
   */
  async push(samples: Float32Array): Promise<void> {
    this.appendSamples(samples);
    while (this.nextStart + SEG_WINDOW <= this.total) {
      this.pendingStarts.push(this.nextStart);
      this.lastQueuedStart = this.nextStart;
      this.nextStart += this.opts.stepSamples;
      if (this.pendingStarts.length >= this.opts.batchSize) this.submit();
      while (this.inflight.length > MAX_INFLIGHT) await this.completeOldest();
    }
    this.compact(this.keepFrom());
  }

  /**
   * Processes the tail windows, clusters and reconstructs.
   * @returns turns of this channel with cluster indices.
   */
  async finish(): Promise<ChannelDiarization> {
    await this.flush();
    const threshold = this.opts.clustering.threshold ?? this.embedder.clusteringDefaults.threshold;
    return this.cluster({ ...this.opts.clustering, threshold }, this.opts.reconstruct);
  }

  /** Segments and embeds the remaining windows, including the end-aligned last one. */
  async flush(): Promise<void> {
    const lastFullStart = this.total - SEG_WINDOW;
    if (this.total > 0 && (this.lastQueuedStart < 0 || this.lastQueuedStart < lastFullStart)) {
      this.lastQueuedStart = Math.max(0, lastFullStart);
      this.pendingStarts.push(this.lastQueuedStart);
    }
    this.submit();
    while (this.inflight.length) await this.completeOldest();
  }

  /**
   * Clusters the embeddings collected so far and reconstructs turns (call after {@link flush};
   * may be called again with other options, e.g. for tuning).
   */
  cluster(clustering: ClusteringOptions, reconstruct: ReconstructOptions): ChannelDiarization {
    const t0 = performance.now();
    const res = clusterSnapshot(
      this.snapshot(),
      this.opts.normalization ?? this.embedder.clusteringDefaults.normalization,
      clustering,
      reconstruct,
      this.opts.tracks,
      this.opts.oneSpeakerBelow ?? null,
      this.opts.vbx ?? null,
    );
    this.timings.clustering += performance.now() - t0;
    return res;
  }

  /** The windows and embeddings collected so far (shared, not copied; for tuning and caching). */
  snapshot(): DiarizerSnapshot {
    return { total: this.total, windows: this.windows, items: this.items };
  }

  private appendSamples(samples: Float32Array): void {
    const t0 = performance.now();
    const frames = this.fbank.push(samples);
    const merged = new Float32Array(this.fb.length + frames.length);
    merged.set(this.fb);
    merged.set(frames, this.fb.length);
    this.fb = merged;
    this.timings.embedding += performance.now() - t0;
    const b = new Float32Array(this.buf.length + samples.length);
    b.set(this.buf);
    b.set(samples, this.buf.length);
    this.buf = b;
    this.total += samples.length;
  }

  /**
   * First sample still needed: the next window starts at `nextStart`, the end-aligned last window
   * (added in finish) starts after the previous regular window, `nextStart − step`, and windows
   * queued or in flight need their fbank rows until they are embedded.
   */
  private keepFrom(): number {
    const oldest = this.inflight.length ? this.inflight[0].starts[0] : Infinity;
    const queued = this.pendingStarts.length ? this.pendingStarts[0] : Infinity;
    return Math.max(0, Math.min(this.nextStart - this.opts.stepSamples, oldest, queued));
  }

  /** Drops audio and features before global sample `keepFrom`. */
  private compact(keepFrom: number): void {
    const dropS = Math.min(keepFrom - this.bufStart, this.buf.length);
    if (dropS > 0) {
      this.buf = this.buf.slice(dropS);
      this.bufStart += dropS;
    }
    const keepFrame = Math.floor(keepFrom / FB_HOP);
    const dropF = Math.min(keepFrame - this.fbStart, this.fb.length / FB_DIM);
    if (dropF > 0) {
      this.fb = this.fb.slice(dropF * FB_DIM);
      this.fbStart += dropF;
    }
  }

  private windowAudio(start: number): Float32Array {
    const w = new Float32Array(SEG_WINDOW);
    const from = start - this.bufStart;
    w.set(this.buf.subarray(from, Math.min(from + SEG_WINDOW, this.buf.length)));
    return w;
  }

  /** Sends the queued windows to the segmenter as one request. */
  private submit(): void {
    if (!this.pendingStarts.length) return;
    const starts = this.pendingStarts;
    this.pendingStarts = [];
    const gate = this.speechGate;
    if (gate && starts.every((s) => !gate(s, Math.min(s + SEG_WINDOW, this.total)))) {
      this.skippedWindows += starts.length;
      const silent = starts.map(() => new Uint8Array(SEG_FRAMES * SEG_SPEAKERS));
      this.inflight.push({ starts, acts: Promise.resolve(silent) });
      return;
    }
    // the model runs later (in its worker, or in-thread once this turn yields): the time is
    // taken where the result is awaited
    const acts = this.segmenter.segment(starts.map((s) => this.windowAudio(s)));
    acts.catch(() => undefined); // a failure is thrown when this request is awaited
    this.inflight.push({ starts, acts });
  }

  /** Waits for the oldest request's activity and embeds its windows. */
  private async completeOldest(): Promise<void> {
    const { starts, acts: pending } = this.inflight.shift()!;
    let t0 = performance.now();
    const acts = await pending;
    this.timings.segmentation += performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < starts.length; i++) await this.embedWindow(starts[i], acts[i]);
    this.timings.embedding += performance.now() - t0;
    this.onWindow?.(this.windows.length);
  }

  private async embedWindow(start: number, activity: Uint8Array): Promise<void> {
    const items = new Int32Array(SEG_SPEAKERS).fill(-1);
    const windowIndex = this.windows.length;
    // fbank frames fully inside the window and inside the decoded signal
    const f0 = Math.ceil(start / FB_HOP);
    const f1 = Math.floor((Math.min(start + SEG_WINDOW, this.total) - FB_WIN) / FB_HOP);
    for (let s = 0; s < SEG_SPEAKERS; s++) {
      const active = activeFrameCount(activity, s);
      if (active === 0) continue;
      const use = speakerFrames(activity, s, start, f0, f1, this.embedder.minFrames);
      if (!use) continue;
      const feats = gatherRows(this.fb, this.fbStart, use);
      const vector = await this.embedder.embed(feats);
      if (!vector.every(Number.isFinite)) continue;
      items[s] = this.items.length;
      this.items.push({ window: windowIndex, local: s, vector, train: active >= this.opts.minActiveFrames });
    }
    this.windows.push({ startSample: start, activity, items });
  }
}

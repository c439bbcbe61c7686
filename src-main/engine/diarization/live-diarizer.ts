/**
 * Streaming diarization of one channel: a rolling 10 s buffer is segmented every `step` (500 ms)
 * with the file pipeline's segmentation model, each window's local speakers get an embedding from
 * the fbank frames where they speak alone (as `ChannelDiarizer` does), online clustering links
 * them to global speakers (live-clustering.ts), and the newest `step` of the window (optionally
 * `lagS` earlier, for more right context) becomes per-speaker activity, turned into turns.
 *
 * Work is queued: `pushFrame` never waits for the models (the per-frame VAD path stays fast); the
 * queue runs one step at a time in the background. Windows where the channel's VAD heard no
 * speech skip the models (no speaker can be active there), which keeps idle channels cheap.
 */
import { FbankStream } from '../audio/fbank.ts';
import type { EmbeddingBackend } from './embedding.ts';
import {
  SEG_FRAMES,
  SEG_FRAME_STEP,
  SEG_RECEPTIVE_FIELD,
  SEG_SPEAKERS,
  SEG_WINDOW,
  type Segmenter,
} from './segmentation.ts';
import {
  activeFrameCount,
  FB_DIM,
  FB_HOP,
  FB_WIN,
  gatherRows,
  segFrameOf,
  speakerFrames,
} from './speaker-frames.ts';
import { type LocalSpeaker, OnlineClustering, type OnlineClusteringOptions } from './live-clustering.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';
import { VAD_ONSET } from '../vad/regions.ts';

const SR = ENGINE_SAMPLE_RATE;

/** Options of {@link LiveDiarizer}. */
export interface LiveDiarizerOptions {
  /**
   * Step between windows, samples (8000 = 500 ms). Tried in session 4 with the int8 segmentation
   * graph, on the dev diarization set in simulated real time (bench/README.md "Live monitoring"):
   * 250 ms brought the any-label first-label p95 to 1.39 s at twice the CPU; an extra step 0.5 s
   * after each VAD onset gave 1.53 s at +1 % CPU but raised live DER on dev stereo from 28.7 to
   * 30.1 % (int8 baseline). Neither was kept, nor re-measured with today's float graph (500 ms:
   * p95 2.04 s, live DER 31.4 %, bench/results/live.md).
   */
  stepSamples: number;
  /** Output delay behind the newest sample, seconds (0 = lowest latency). */
  lagS: number;
  /** VAD probability from which a step counts as containing speech. */
  speechProb: number;
  /** Same-speaker gaps shorter than this are bridged, seconds. */
  minGapS: number;
  /** Turns shorter than this are dropped, seconds. */
  minTurnS: number;
  /**
   * A new turn may start up to this far before the newest step, seconds: the segmentation model
   * sees an onset only once it has some right context, so the frames just before the step that a
   * later window marks as the same speaker's speech are given to the new turn (its start is
   * back-dated; the event still goes out when the step is processed). Off by default: on the dev
   * stereo set live DER went 28.7 → 29.4 → 30.2 % for 0 / 0.5 / 1 s (measured with the int8
   * segmentation graph, not re-measured with the float one; more false alarm on the two-room-mic
   * file), and it does not make the first label earlier.
   */
  backfillS: number;
  /** Steps queued before `pushFrame` callers are asked to wait (back-pressure). */
  maxQueue: number;
  /**
   * Keep the segmentation model's activity only where the channel's VAD probability (as given to
   * `pushFrame`) is at least `speechProb`. For the mic channel with the self-VAD's local-speech
   * probability, this keeps the remote party's bleed out of the local speakers.
   */
  gateByVad: boolean;
  clustering: Omit<OnlineClusteringOptions, 'normalization'>;
}

export const DEFAULT_LIVE_DIARIZER: LiveDiarizerOptions = {
  stepSamples: 8000,
  lagS: 0,
  speechProb: VAD_ONSET,
  minGapS: 0.3,
  minTurnS: 0.1,
  backfillS: 0,
  maxQueue: 8,
  gateByVad: false,
  clustering: { deltaNew: 0.12, mergeDelta: 0.05, minNewFrames: 12, rhoUpdate: 40, maxSpeakers: 20 },
};

/** What the diarizer reports. Times are seconds of the session. */
export interface DiarizerListener {
  onSpeakerNew(speaker: number, tS: number): void;
  onMerge(from: number, into: number, tS: number): void;
  onTurnStart(speaker: number, startS: number): void;
  onTurnEnd(speaker: number, startS: number, endS: number): void;
  /**
   * Clean (single-speaker) fbank frames [n, 80] of a speaker from the newest step; `rows` are
   * their global fbank row indices (row j starts at sample j × 160 of the channel), ascending.
   */
  onEvidence(speaker: number, feats: Float32Array, tS: number, rows: readonly number[]): void;
}

interface Step {
  /** Sample index one past the window's last sample. */
  end: number;
  /** Output span [from, to), samples. */
  from: number;
  to: number;
  window: Float32Array | null;
  /** fbank rows of the window and the global index of the first row. */
  fb: Float32Array;
  fbStart: number;
}

/** Timings, ms. */
export interface LiveDiarizerStats {
  steps: number;
  modelSteps: number;
  segmentationMs: number;
  embeddingMs: number;
}

/** Streaming diarizer of one channel. */
export class LiveDiarizer {
  /** The newest samples (10 s window + 1 s), indexed by global sample index modulo its length. */
  private readonly ring = new Float32Array(SEG_WINDOW + SR);
  private total = 0;
  private readonly fbank = new FbankStream();
  /** fbank rows [fbRows, 80] from global row `fbStart`, in a buffer with spare capacity. */
  private fb = new Float32Array(1200 * FB_DIM);
  private fbRows = 0;
  private fbStart = 0;
  private readonly probs: number[] = [];
  private probsStart = 0;
  private nextEnd: number;
  private emittedTo = 0;
  /** Sample index up to which output has been produced. */
  private doneTo = 0;
  private readonly queue: Step[] = [];
  private running: Promise<void> | null = null;
  private failure: unknown = null;
  private readonly clustering: OnlineClustering;
  /** Open turn per global speaker: start and end of its last activity (s); started = announced. */
  private readonly open = new Map<number, { start: number; last: number; started: boolean }>();
  private readonly alias = new Map<number, number>();
  /** End of each speaker's last finalised turn, seconds. */
  private readonly lastEnd = new Map<number, number>();
  readonly stats: LiveDiarizerStats = { steps: 0, modelSteps: 0, segmentationMs: 0, embeddingMs: 0 };

  constructor(
    private readonly segmenter: Segmenter,
    private readonly embedder: EmbeddingBackend,
    private readonly listener: DiarizerListener,
    private readonly opts: LiveDiarizerOptions = DEFAULT_LIVE_DIARIZER,
  ) {
    this.clustering = new OnlineClustering({
      ...opts.clustering,
      normalization: embedder.clusteringDefaults.normalization,
    });
    this.nextEnd = opts.stepSamples + Math.round(opts.lagS * SR);
  }

  /** Steps waiting for the models (0 = keeping up). */
  get backlog(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  /** Seconds of received audio whose diarization output is still pending (0 = keeping up). */
  get lagS(): number {
    return (this.total - this.doneTo) / SR;
  }

  /** Samples received so far. */
  get samples(): number {
    return this.total;
  }

  /**
   * Feeds one frame of the channel and its VAD probability.
   * @returns a promise to await only when the queue is full (back-pressure), else null.
   */
  pushFrame(samples: Float32Array, prob: number): Promise<void> | null {
    this.append(samples);
    this.probs.push(prob);
    while (this.total >= this.nextEnd) {
      const end = this.nextEnd;
      const to = end - Math.round(this.opts.lagS * SR);
      this.enqueue(end, to);
      this.nextEnd += this.opts.stepSamples;
    }
    if (this.failure) throw this.failure;
    return this.queue.length >= this.opts.maxQueue ? this.drain() : null;
  }

  /** Waits until every queued step is processed. @throws the first step failure. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }

  /** Processes the tail and closes every open turn at the end of the audio. */
  async finish(): Promise<void> {
    if (this.total > this.emittedTo) this.enqueue(this.total, this.total);
    await this.drain();
    const endS = this.total / SR;
    for (const k of [...this.open.keys()]) this.closeTurn(k, endS);
  }

  private append(x: Float32Array): void {
    const r = this.ring.length;
    for (let i = 0; i < x.length; i++) this.ring[(this.total + i) % r] = x[i];
    this.total += x.length;
    const rows = this.fbank.push(x);
    const n = rows.length / FB_DIM;
    // keep fbank rows of the last window (+ 1 s); compact in place, grow when needed
    const keepFrom = Math.max(0, Math.floor((this.total - SEG_WINDOW - SR) / FB_HOP));
    if (keepFrom > this.fbStart + 200) {
      this.fb.copyWithin(0, (keepFrom - this.fbStart) * FB_DIM, this.fbRows * FB_DIM);
      this.fbRows -= keepFrom - this.fbStart;
      this.fbStart = keepFrom;
    }
    if ((this.fbRows + n) * FB_DIM > this.fb.length) {
      const grown = new Float32Array(Math.max(this.fb.length * 2, (this.fbRows + n) * FB_DIM));
      grown.set(this.fb.subarray(0, this.fbRows * FB_DIM));
      this.fb = grown;
    }
    this.fb.set(rows, this.fbRows * FB_DIM);
    this.fbRows += n;
    const keepProbs = Math.max(0, Math.floor((this.total - SEG_WINDOW) / 512));
    if (keepProbs > this.probsStart + 64) {
      this.probs.splice(0, keepProbs - this.probsStart);
      this.probsStart = keepProbs;
    }
  }

  private enqueue(end: number, to: number): void {
    const from = this.emittedTo;
    if (to <= from) return;
    this.emittedTo = to;
    const speech = this.hasSpeech(from - 0.3 * SR, to);
    const step: Step = { end, from, to, window: null, fb: new Float32Array(0), fbStart: this.fbStart };
    if (speech) {
      // snapshot: the rows of this window (the live buffer is compacted in place)
      const first = Math.max(this.fbStart, Math.floor((end - SEG_WINDOW) / FB_HOP));
      step.fb = this.fb.slice((first - this.fbStart) * FB_DIM, this.fbRows * FB_DIM);
      step.fbStart = first;
      // the window [end − 10 s, end), left-padded with zeros at the start of the session
      const w = new Float32Array(SEG_WINDOW);
      const len = Math.min(end, SEG_WINDOW);
      const r = this.ring.length;
      for (let i = 0; i < len; i++) w[SEG_WINDOW - len + i] = this.ring[(end - len + i) % r];
      step.window = w;
    }
    this.queue.push(step);
    if (!this.running) {
      this.running = this.run().finally(() => (this.running = null));
    }
  }

  /** VAD probability of the frame holding sample `at` (0 when no longer or not yet known). */
  private probAt(at: number): number {
    const f = Math.floor(at / 512) - this.probsStart;
    return f >= 0 && f < this.probs.length ? this.probs[f] : 0;
  }

  private hasSpeech(fromSample: number, toSample: number): boolean {
    const f0 = Math.max(this.probsStart, Math.floor(fromSample / 512));
    const f1 = Math.min(this.probsStart + this.probs.length, Math.ceil(toSample / 512));
    for (let f = f0; f < f1; f++) if (this.probs[f - this.probsStart] >= this.opts.speechProb) return true;
    return false;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length) await this.process(this.queue.shift()!);
    } catch (err) {
      this.failure = err;
      this.queue.length = 0;
    }
  }

  private async process(step: Step): Promise<void> {
    this.stats.steps++;
    const tFrom = step.from / SR;
    const tTo = step.to / SR;
    const active = new Map<number, { t0: number; t1: number }[]>();
    if (step.window) {
      this.stats.modelSteps++;
      const t0 = performance.now();
      const [activity] = await this.segmenter.segment([step.window]);
      const t1 = performance.now();
      this.stats.segmentationMs += t1 - t0;
      const winStart = step.end - SEG_WINDOW;
      const locals = await this.localSpeakers(step, activity, winStart);
      this.stats.embeddingMs += performance.now() - t1;
      const { global, created } = this.clustering.assign(locals);
      for (const k of created) this.listener.onSpeakerNew(k, tTo);
      for (const m of this.clustering.mergeClose()) this.merge(m.from, m.into, tTo);
      const evidence = new Map<number, number[]>();
      const back = Math.round(this.opts.backfillS * SR);
      for (let i = 0; i < SEG_FRAMES; i++) {
        const c = winStart + i * SEG_FRAME_STEP + SEG_RECEPTIVE_FIELD / 2;
        if (c < step.from - back || c >= step.to) continue;
        if (this.opts.gateByVad && this.probAt(c) < this.opts.speechProb) continue;
        let n = 0;
        let only = -1;
        for (let s = 0; s < SEG_SPEAKERS; s++) {
          if (!activity[i * SEG_SPEAKERS + s]) continue;
          n++;
          const k = this.resolve(global[s]);
          if (k < 0) continue;
          only = k;
          const list = active.get(k) ?? [];
          list.push({ t0: (c - SEG_FRAME_STEP / 2) / SR, t1: (c + SEG_FRAME_STEP / 2) / SR });
          active.set(k, list);
        }
        if (n === 1 && only >= 0 && c >= step.from) {
          const list = evidence.get(only) ?? [];
          list.push(i);
          evidence.set(only, list);
        }
      }
      this.emitEvidence(step, evidence, winStart, tTo);
    }
    // turns: extend / open / close per speaker
    for (const [k, spans] of active) {
      let lo = tFrom;
      const firstIn = spans.findIndex((sp) => sp.t1 > tFrom);
      if (firstIn < 0) continue;
      if (!this.open.has(k)) {
        // back-date a new turn over the contiguous activity just before the step
        let start = spans[firstIn].t0;
        for (let i = firstIn - 1; i >= 0 && start - spans[i].t1 < this.opts.minGapS; i--) start = spans[i].t0;
        lo = Math.max(
          start,
          tFrom - this.opts.backfillS,
          (this.lastEnd.get(k) ?? -Infinity) + this.opts.minGapS,
        );
      }
      for (const sp of spans) {
        const a = Math.max(sp.t0, lo);
        const b = Math.min(sp.t1, tTo);
        if (b <= a) continue;
        let o = this.open.get(k);
        if (o && a - o.last < this.opts.minGapS) o.last = Math.max(o.last, b);
        else {
          if (o) this.closeTurn(k, o.last);
          o = { start: a, last: b, started: false };
          this.open.set(k, o);
        }
        if (!o.started && o.last - o.start >= this.opts.minTurnS) {
          o.started = true;
          this.listener.onTurnStart(k, o.start);
        }
      }
    }
    for (const [k, o] of [...this.open]) {
      if (tTo - o.last >= this.opts.minGapS) this.closeTurn(k, o.last);
    }
    this.doneTo = step.to;
  }

  private closeTurn(k: number, end: number): void {
    const o = this.open.get(k);
    if (!o) return;
    this.open.delete(k);
    const e = Math.min(end, this.total / SR);
    if (o.started) {
      this.listener.onTurnEnd(k, o.start, e);
      this.lastEnd.set(k, e);
    }
  }

  private resolve(k: number): number {
    while (k >= 0 && this.alias.has(k)) k = this.alias.get(k)!;
    return k;
  }

  private merge(from: number, into: number, tS: number): void {
    this.alias.set(from, into);
    const of = this.open.get(from);
    if (of) {
      this.open.delete(from);
      const oi = this.open.get(into);
      if (oi) {
        // the merged-away speaker's open turn ends here; the surviving one goes on
        if (of.started) this.listener.onTurnEnd(from, of.start, Math.min(of.last, this.total / SR));
      } else this.open.set(into, of);
    }
    this.listener.onMerge(from, into, tS);
  }

  /** Embeddings of the window's local speakers from their clean fbank frames. */
  private async localSpeakers(step: Step, activity: Uint8Array, winStart: number): Promise<LocalSpeaker[]> {
    const f0 = Math.max(step.fbStart, Math.ceil(Math.max(0, winStart) / FB_HOP));
    const f1 = Math.min(step.fbStart + step.fb.length / FB_DIM - 1, Math.floor((step.end - FB_WIN) / FB_HOP));
    const out: LocalSpeaker[] = [];
    for (let s = 0; s < SEG_SPEAKERS; s++) {
      const activeFrames = activeFrameCount(activity, s);
      if (!activeFrames) {
        out.push({ embedding: null, activeFrames });
        continue;
      }
      const use = speakerFrames(activity, s, winStart, f0, f1, this.embedder.minFrames);
      if (!use) {
        out.push({ embedding: null, activeFrames });
        continue;
      }
      const feats = gatherRows(step.fb, step.fbStart, use);
      await yieldToLoop(); // let the per-frame path run between embeddings
      const e = await this.embedder.embed(feats);
      out.push({ embedding: e.every(Number.isFinite) ? e : null, activeFrames });
    }
    return out;
  }

  private emitEvidence(step: Step, evidence: Map<number, number[]>, winStart: number, tS: number): void {
    if (!evidence.size) return;
    const rows = new Map<number, number[]>();
    const j0 = Math.max(step.fbStart, Math.ceil((step.from - FB_WIN / 2) / FB_HOP));
    const j1 = Math.min(
      step.fbStart + step.fb.length / FB_DIM - 1,
      Math.floor((step.to - FB_WIN / 2) / FB_HOP),
    );
    const frameOwner = new Map<number, number>();
    for (const [k, frames] of evidence) for (const i of frames) frameOwner.set(i, k);
    for (let j = j0; j <= j1; j++) {
      const k = frameOwner.get(segFrameOf(j, winStart));
      if (k === undefined) continue;
      const list = rows.get(k) ?? [];
      list.push(j);
      rows.set(k, list);
    }
    for (const [k, js] of rows) this.listener.onEvidence(k, gatherRows(step.fb, step.fbStart, js), tS, js);
  }
}

/** Lets pending I/O and frames run before continuing (setImmediate). */
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

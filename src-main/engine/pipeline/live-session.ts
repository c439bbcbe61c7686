/**
 * Live session orchestration: capture frames (32 ms, both channels) → levels and quality → Silero
 * VAD on both channels (one batched call) → streaming self-VAD (adaptive bleed) → mic turns of the
 * local user; system channel → streaming diarization (live-diarizer.ts) → turns and speakers;
 * per speaker, clean speech accumulates into voiceprint identification (with a store) and
 * age/gender attributes; typed events (src-shared/contracts/live.ts) at ≤ 20 Hz for summaries;
 * every finalised turn is written to the store as it closes.
 */
import type {
  ChannelQuality,
  ModelUse,
  SpeakerAttributes,
  Turn,
} from '../../../src-shared/contracts/analysis.ts';
import {
  LIVE_MAX_SUMMARY_HZ,
  type LiveChannel,
  liveSpeakerKey,
  parseLiveSpeakerKey,
  type LiveEvent,
  type LiveQualityFlag,
  type LiveSessionSummary,
} from '../../../src-shared/contracts/live.ts';
import type { Identification } from '../../../src-shared/contracts/voiceprints.ts';
import type { CaptureFrame, CaptureSource } from '../audio/capture-frames.ts';
import {
  identifySpeakers,
  linksOf,
  operatingPointFor,
  type VoiceprintIndex,
  type VoiceprintLink,
} from '../voiceprints/identify.ts';
import { liveAttributeGate, LIVE_ATTRIBUTE_EVIDENCE_S } from '../attributes/age-gender.ts';
import { FBANK_FRAMES_PER_S, FbankStream } from '../audio/fbank.ts';
import { concatFloat32 } from '../audio/samples.ts';
import { QualityAccumulator, QUALITY_THRESHOLDS, dbfs } from '../audio/quality.ts';
import { SampleHistory } from '../audio/sample-history.ts';
import { SileroVad } from '../vad/silero.ts';
import { speechRegionsFromProbs, VAD_OFFSET, VAD_ONSET } from '../vad/regions.ts';
import type { EngineModels } from './analyze-file.ts';
import { FB_DIM, FB_HOP, FB_WIN } from '../diarization/speaker-frames.ts';
import {
  DEFAULT_LIVE_DIARIZER,
  LiveDiarizer,
  type LiveDiarizerOptions,
} from '../diarization/live-diarizer.ts';
import {
  DEFAULT_SELF_VAD,
  meanSquare,
  StreamingRegions,
  StreamingSelfVad,
  type StreamingSelfVadOptions,
} from '../vad/live-self-vad.ts';
import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';
import { round } from '../../../src-shared/math.ts';
import { AppError } from '../../../src-shared/errors.ts';

const FRAME_S = 0.032;
/** Seconds of clean speech after which a speaker is (re-)identified. */
const IDENTIFY_AT_S = [1.5, 4, 10, 20, 40];
/**
 * Seconds of clean speech after which attributes are (re-)estimated: at 3 s an `undetermined`
 * state (below the evidence threshold), from {@link LIVE_ATTRIBUTE_EVIDENCE_S} on estimates.
 */
const ATTRIBUTES_AT_S = [3, LIVE_ATTRIBUTE_EVIDENCE_S, 20];
/** At most this much clean speech is kept per speaker for identification/attributes, seconds. */
const MAX_EVIDENCE_S = 30;
/** Bleed gain above which the mic hears the remote party strongly (speakers, no headphones), dB. */
const STRONG_BLEED_DB = -10;

/**
 * Where a live session writes its call as it goes (the history store implements it; the engine
 * only knows this interface). Every method writes at once: a crash loses at most the open turns.
 */
export interface LiveCallSink {
  /** History call id. */
  readonly callId: number;
  /** Records a speaker (idempotent). */
  speaker(key: string, label: string, channel: LiveChannel): void;
  /** A finalised turn, seconds from the session start. */
  turn(
    key: string,
    label: string,
    channel: LiveChannel,
    startS: number,
    endS: number,
    overlap: boolean,
  ): void;
  /** An identification of a speaker against the voiceprint library. */
  identify(key: string, link: VoiceprintLink): void;
  attributes(key: string, attrs: SpeakerAttributes): void;
  /** Speaker `from` turned out to be `into`. */
  merge(from: string, into: string, label: string, channel: LiveChannel): void;
  /** Closes the call: duration (s), quality per channel, warnings, RTF and stage timings (ms). */
  close(
    durationS: number,
    quality: ChannelQuality[],
    warnings: string[],
    rtf: number,
    timingsMs: Record<string, number>,
  ): void;
}

/** The persistence a live session uses: a call history and a voiceprint library. */
export interface LiveStore {
  /** Opens the history call of a session (models in use, execution provider). */
  openCall(title: string, models: ModelUse[], provider: { name: string; reason: string }): LiveCallSink;
  /** The voiceprint index of the library for an encoder model id+version. */
  voiceprints(modelId: string, modelVersion: string): VoiceprintIndex;
}

/** Options of {@link LiveSession}. */
export interface LiveSessionOptions {
  /** History store: turns are written as they close and speakers identified from voiceprints. */
  store?: LiveStore | null;
  /** Title of the call in the history. */
  title?: string;
  diarizer?: LiveDiarizerOptions;
  selfVad?: StreamingSelfVadOptions;
  /**
   * Several local people share the microphone: the mic channel is diarized too (local speakers
   * `L1`, `L2`, … labelled "Local N" until a voiceprint names them), with the segmentation
   * activity kept only where the self-VAD hears local speech, so bleed of the remote party is not
   * taken for a local speaker. Off (default): everything the self-VAD keeps is the user, `you`.
   */
  diarizeMic?: boolean;
}

/** Measurements of a session (for benchmarks and tests). */
export interface LiveSessionStats {
  frames: number;
  /** Per VAD event: ms from the frame's arrival to the event. */
  vadLatencyMs: number[];
  /** Per frame: ms from arrival to the end of its processing. */
  frameLatencyMs: number[];
  /** Largest diarization lag seen, seconds of audio. */
  maxDiarizerLagS: number;
  /** Diarization lag sampled once per second of audio. */
  diarizerLagS: number[];
  /** Wall-clock ms spent in the per-frame path. */
  frameMs: number;
  segmentationMs: number;
  embeddingMs: number;
  modelSteps: number;
}

interface SpeakerState {
  key: string;
  channel: LiveChannel;
  label: string;
  feats: Float32Array[];
  rows: number;
  /** 16 kHz samples behind the kept evidence (for pitch statistics), at most MAX_EVIDENCE_S. */
  audio: Float32Array[];
  audioSamples: number;
  /** Clean speech seconds seen (including beyond the kept evidence). */
  seconds: number;
  idStep: number;
  attrStep: number;
  identification: Identification | null;
  attributes: SpeakerAttributes;
  merged: boolean;
}

type Listener = (e: LiveEvent) => void;

/** One live call being analysed. */
export class LiveSession {
  readonly stats: LiveSessionStats = {
    frames: 0,
    vadLatencyMs: [],
    frameLatencyMs: [],
    maxDiarizerLagS: 0,
    diarizerLagS: [],
    frameMs: 0,
    segmentationMs: 0,
    embeddingMs: 0,
    modelSteps: 0,
  };
  /** Finalised turns so far (speaker keys follow merges). */
  readonly turns: Turn[] = [];
  private readonly listeners: Listener[] = [];
  private readonly vad: SileroVad;
  private readonly selfVad: StreamingSelfVad;
  private readonly diarizer: LiveDiarizer;
  /** Mic-channel diarizer when {@link LiveSessionOptions.diarizeMic} is set. */
  private readonly micDiarizer: LiveDiarizer | null;
  private readonly micRegions: StreamingRegions;
  private readonly micFbank = new FbankStream();
  /** Recent system-channel samples, to fetch the audio behind the diarizer's evidence rows. */
  private readonly sysAudio = new SampleHistory(MAX_EVIDENCE_S * ENGINE_SAMPLE_RATE);
  /** Mic samples behind the mic diarizer's evidence rows (only with `diarizeMic`). */
  private readonly micAudio = new SampleHistory(MAX_EVIDENCE_S * ENGINE_SAMPLE_RATE);
  private readonly quality = { mic: new QualityAccumulator('mic'), system: new QualityAccumulator('system') };
  private readonly probs = { mic: [] as number[], system: [] as number[] };
  private readonly speakers = new Map<string, SpeakerState>();
  private readonly alias = new Map<string, string>();
  private readonly openTurns = new Map<string, number>();
  private readonly jobs = new Set<Promise<void>>();
  private readonly warnings: string[] = [];
  private readonly flags = new Map<string, boolean>();
  private readonly recent = { mic: new RollingLevels(), system: new RollingLevels() };
  private writer: LiveCallSink | null = null;
  private index: VoiceprintIndex | null = null;
  private source: CaptureSource | null = null;
  private t = 0;
  private tokens = 2;
  private lastTokenMs = performance.now();
  private lastLevelsMs = -Infinity;
  private pendingVad: { frame: CaptureFrame } | null = null;
  private vadState = { mic: false, system: false, local: false };
  private failure: unknown = null;

  constructor(
    private readonly models: EngineModels,
    private readonly opts: LiveSessionOptions = {},
  ) {
    this.vad = new SileroVad(models.vadModel, 2);
    this.selfVad = new StreamingSelfVad(opts.selfVad ?? DEFAULT_SELF_VAD);
    this.micRegions = new StreamingRegions(FRAME_S, {
      onStart: (start) => {
        if (opts.diarizeMic) return; // the mic diarizer reports the local speakers
        this.ensureSpeaker('you', 'mic', 'You');
        this.emit({
          type: 'turn_start',
          channel: 'mic',
          speaker: 'you',
          label: this.labelOf('you'),
          start_s: r3(start),
        });
      },
      onEnd: (r) => {
        if (!opts.diarizeMic) this.closeTurn('you', 'mic', r.start, r.end);
      },
    });
    const base = opts.diarizer ?? DEFAULT_LIVE_DIARIZER;
    this.diarizer = this.channelDiarizer('system', base);
    this.micDiarizer = opts.diarizeMic ? this.channelDiarizer('mic', { ...base, gateByVad: true }) : null;
  }

  /** A streaming diarizer of one channel whose speakers are `S<k>` (system) or `L<k>` (mic). */
  private channelDiarizer(channel: LiveChannel, options: LiveDiarizerOptions): LiveDiarizer {
    const keyOf = (k: number): string => liveSpeakerKey(channel, k);
    const history = channel === 'system' ? this.sysAudio : this.micAudio;
    return new LiveDiarizer(
      this.models.segmenter,
      this.models.embedder,
      {
        onSpeakerNew: (k, tS) => {
          const key = keyOf(k);
          this.ensureSpeaker(key, channel, defaultLabel(key));
          this.emit({
            type: 'speaker',
            change: 'new',
            speaker: key,
            channel,
            label: this.labelOf(key),
            t_s: r3(tS),
          });
        },
        onMerge: (from, into, tS) => this.mergeSpeakers(keyOf(from), keyOf(into), channel, tS),
        onTurnStart: (k, start) => {
          const key = this.resolve(keyOf(k));
          this.openTurns.set(key, start);
          this.emit({
            type: 'turn_start',
            channel,
            speaker: key,
            label: this.labelOf(key),
            start_s: r3(start),
          });
        },
        onTurnEnd: (k, start, end) => this.closeTurn(keyOf(k), channel, start, end),
        onEvidence: (k, feats, _t, rows) =>
          this.addEvidence(this.resolve(keyOf(k)), feats, this.rowsAudio(history, rows)),
      },
      options,
    );
  }

  /** Subscribes to events. @returns an unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** History call id (null without a store). */
  get callId(): number | null {
    return this.writer?.callId ?? null;
  }

  /**
   * Runs the session until the source ends or {@link stop} is called; then closes the open turns
   * and the call.
   * @returns the session summary.
   */
  async run(source: CaptureSource): Promise<LiveSessionSummary> {
    this.source = source;
    const t0 = performance.now();
    if (this.opts.store) {
      this.writer = this.opts.store.openCall(
        this.opts.title ?? source.description,
        this.models.models,
        this.models.vadModel.provider,
      );
      const enc = this.models.voiceprintEmbedder.use;
      this.index = this.opts.store.voiceprints(enc.id, enc.version);
    }
    this.emit({
      type: 'session',
      state: 'started',
      t_s: 0,
      call_id: this.callId,
      source: source.description,
    });
    try {
      for await (const item of source.items()) {
        if (item.type === 'frame') await this.frame(item);
        else {
          this.emit({
            type: 'device',
            channel: item.channel,
            state: item.state,
            t_s: r3(this.t),
            message: item.message,
          });
          if (item.state === 'lost')
            this.warnings.push(`${item.channel} channel lost at ${this.t.toFixed(1)} s: ${item.message}`);
        }
        if (this.failure) throw this.failure;
      }
    } finally {
      await source.stop();
    }
    return this.finish(performance.now() - t0);
  }

  /**
   * The voice embedding of a speaker from the clean speech kept for it (at most the last
   * {@link MAX_EVIDENCE_S} s), for enrolling it into the voiceprint library ("remember this
   * voice"); works during the session and after it ended. A merged key resolves to its speaker.
   * @returns null with too little speech (fewer fbank frames than the encoder's minimum);
   *   `seconds` is the speech the embedding was computed from.
   * @throws Error with code `not_found` for a speaker the session has not heard.
   */
  async speakerEmbedding(key: string): Promise<{
    /** One embedding per encoder (voiceprint encoder first, then the diarization encoder). */
    embeddings: { modelId: string; modelVersion: string; vector: Float32Array }[];
    seconds: number;
    channel: LiveChannel;
  } | null> {
    const s = this.speakers.get(this.resolve(key));
    if (!s) throw new AppError('not_found', `no speaker ${key} in this live session`);
    const vp = this.models.voiceprintEmbedder;
    if (s.rows < vp.minFrames) return null;
    const x = this.evidence(s);
    const encoders = vp === this.models.embedder ? [vp] : [vp, this.models.embedder];
    const embeddings = [];
    for (const e of encoders) {
      if (s.rows < e.minFrames) continue;
      // a copy each: an ONNX encoder normalises its input in place (CMN)
      embeddings.push({ modelId: e.use.id, modelVersion: e.use.version, vector: await e.embed(x.slice()) });
    }
    return { embeddings, seconds: r3(s.rows / FBANK_FRAMES_PER_S), channel: s.channel };
  }

  /** Asks the source to stop; {@link run} then finishes the session. */
  async stop(): Promise<void> {
    await this.source?.stop();
  }

  private async frame(f: CaptureFrame): Promise<void> {
    const tStart = performance.now();
    this.t = f.t0 + FRAME_S;
    this.stats.frames++;
    const micPow = meanSquare(f.mic);
    const sysPow = meanSquare(f.system);
    this.quality.mic.push(f.mic);
    this.quality.system.push(f.system);
    const [pm, ps] = await this.vad.pushAll([f.mic, f.system]);
    const micProb = pm[0] ?? 0;
    const sysProb = ps[0] ?? 0;
    this.probs.mic.push(micProb);
    this.probs.system.push(sysProb);
    const local = this.selfVad.push(micProb, sysProb, micPow, sysPow);
    this.micRegions.push(local);
    this.recent.mic.push(f.mic, micPow, micProb);
    this.recent.system.push(f.system, sysPow, sysProb);
    // the user's clean speech: mic frames the self-VAD keeps, while the system is silent
    const rows = this.micFbank.push(f.mic);
    if (!this.micDiarizer && local >= VAD_ONSET && sysProb < VAD_OFFSET) this.addEvidence('you', rows, f.mic);
    this.summaries(f, micProb, sysProb, local, micPow, sysPow);
    if (f.index % 16 === 15) this.checkQuality();
    this.sysAudio.push(f.system);
    if (this.micDiarizer) this.micAudio.push(f.mic);
    const micWait = this.micDiarizer?.pushFrame(f.mic, local) ?? null;
    const wait = this.diarizer.pushFrame(f.system, sysProb);
    const lag = this.diarizer.lagS;
    this.stats.maxDiarizerLagS = Math.max(this.stats.maxDiarizerLagS, lag);
    if (f.index % 31 === 0) this.stats.diarizerLagS.push(r3(lag));
    const end = performance.now();
    this.stats.frameMs += end - tStart;
    this.stats.frameLatencyMs.push(end - f.arrivedMs);
    if (wait) await wait;
    if (micWait) await micWait;
  }

  private summaries(
    f: CaptureFrame,
    micProb: number,
    sysProb: number,
    local: number,
    micPow: number,
    sysPow: number,
  ): void {
    const state = {
      mic: hyst(this.vadState.mic, micProb),
      system: hyst(this.vadState.system, sysProb),
      local: this.micRegions.active && local > 0,
    };
    const changed =
      state.mic !== this.vadState.mic ||
      state.system !== this.vadState.system ||
      state.local !== this.vadState.local;
    this.vadState = state;
    if (changed) this.pendingVad = { frame: f };
    // token bucket: ≤ 20 summaries per second on average, bursts of 2, so a VAD change right
    // after a levels event still goes out at once; VAD changes first, levels every ~100 ms
    const now = performance.now();
    this.tokens = Math.min(2, this.tokens + ((now - this.lastTokenMs) * LIVE_MAX_SUMMARY_HZ) / 1000);
    this.lastTokenMs = now;
    if (this.tokens < 1) return;
    if (this.pendingVad) {
      this.emit({ type: 'vad', t_s: r3(this.t), ...this.vadState });
      this.stats.vadLatencyMs.push(performance.now() - this.pendingVad.frame.arrivedMs);
      this.pendingVad = null;
      this.tokens--;
    } else if (now - this.lastLevelsMs >= 100 && this.tokens >= 1.5) {
      this.emit({
        type: 'levels',
        t_s: r3(this.t),
        mic_dbfs: r1(dbfs(micPow)),
        system_dbfs: r1(dbfs(sysPow)),
        bleed_db: this.selfVad.bleedDb === null ? null : r1(this.selfVad.bleedDb),
      });
      this.lastLevelsMs = now;
      this.tokens--;
    }
  }

  private checkQuality(): void {
    const set = (channel: LiveChannel, flag: LiveQualityFlag, active: boolean, message: string): void => {
      const key = `${channel}:${flag}`;
      if ((this.flags.get(key) ?? false) === active) return;
      this.flags.set(key, active);
      if (active) this.warnings.push(`${channel} channel: ${message} (at ${this.t.toFixed(1)} s)`);
      this.emit({
        type: 'quality',
        channel,
        flag,
        active,
        t_s: r3(this.t),
        message: active ? message : `${flag} cleared`,
      });
    };
    const t = QUALITY_THRESHOLDS;
    for (const ch of ['mic', 'system'] as const) {
      const r = this.recent[ch];
      if (r.frames < 150) continue; // ~5 s of audio before judging
      set(
        ch,
        'clipping',
        r.clipRatio() > t.clippingRatio,
        `clipping (${(100 * r.clipRatio()).toFixed(2)} % of samples at full scale)`,
      );
      const speech = r.speechDbfs();
      set(
        ch,
        'low_volume',
        speech !== null && speech < t.lowVolumeDbfs,
        `low volume (speech at ${speech?.toFixed(0)} dBFS)`,
      );
      set(
        ch,
        'silence',
        r.rmsDbfs() < t.silenceDbfs,
        `silent for the last ${(r.frames * FRAME_S).toFixed(0)} s`,
      );
    }
    const bleed = this.selfVad.bleedDb;
    set(
      'mic',
      'bleed',
      bleed !== null && bleed > STRONG_BLEED_DB,
      `strong bleed of the remote party into the mic (${bleed?.toFixed(0)} dB): use headphones`,
    );
  }

  private ensureSpeaker(key: string, channel: LiveChannel, label: string): SpeakerState {
    let s = this.speakers.get(key);
    if (!s) {
      s = {
        key,
        channel,
        label,
        feats: [],
        rows: 0,
        audio: [],
        audioSamples: 0,
        seconds: 0,
        idStep: 0,
        attrStep: 0,
        identification: null,
        attributes: { status: 'not_run', speechUsedS: 0 },
        merged: false,
      };
      this.speakers.set(key, s);
      this.writer?.speaker(key, label, channel);
    }
    return s;
  }

  private labelOf(key: string): string {
    return this.speakers.get(key)?.label ?? key;
  }

  private resolve(key: string): string {
    while (this.alias.has(key)) key = this.alias.get(key)!;
    return key;
  }

  private closeTurn(rawKey: string, channel: LiveChannel, start: number, end: number): void {
    const key = this.resolve(rawKey);
    this.openTurns.delete(key);
    const s = this.ensureSpeaker(key, channel, defaultLabel(key));
    const overlap = this.turns
      .slice(-20)
      .some((o) => o.speakerId !== key && o.startS < end && o.endS > start);
    const turn: Turn = { startS: r3(start), endS: r3(end), speakerId: key, channel, overlap };
    this.turns.push(turn);
    try {
      this.writer?.turn(key, s.label, channel, start, end, overlap);
    } catch (err) {
      this.failure = err;
    }
    this.emit({
      type: 'turn',
      channel,
      speaker: key,
      label: s.label,
      start_s: turn.startS,
      end_s: turn.endS,
      clean_speech_s: r3(s.rows / FBANK_FRAMES_PER_S),
    });
  }

  private mergeSpeakers(from: string, into: string, channel: LiveChannel, tS: number): void {
    const a = this.speakers.get(from);
    const b = this.ensureSpeaker(into, channel, defaultLabel(into));
    this.alias.set(from, into);
    for (const t of this.turns) if (t.speakerId === from) t.speakerId = into;
    if (a) {
      a.merged = true;
      for (const f of a.feats) this.pushFeats(b, f);
      for (const x of a.audio) this.pushAudio(b, x);
      b.seconds += a.seconds;
      this.speakers.delete(from);
    }
    this.writer?.merge(from, into, b.label, channel);
    this.emit({
      type: 'speaker',
      change: 'merged',
      speaker: from,
      into,
      channel,
      label: b.label,
      t_s: r3(tS),
    });
  }

  private pushFeats(s: SpeakerState, feats: Float32Array): void {
    const n = feats.length / FB_DIM;
    if (s.rows + n <= MAX_EVIDENCE_S * FBANK_FRAMES_PER_S) {
      s.feats.push(feats);
      s.rows += n;
    }
  }

  private pushAudio(s: SpeakerState, audio: Float32Array): void {
    if (s.audioSamples + audio.length <= MAX_EVIDENCE_S * ENGINE_SAMPLE_RATE) {
      s.audio.push(audio);
      s.audioSamples += audio.length;
    }
  }

  /**
   * Samples of one diarized channel's history (system, or mic with `diarizeMic`) behind fbank rows
   * (ascending global indices; row j covers samples [j × FB_HOP, j × FB_HOP + FB_WIN)): each run of
   * consecutive rows becomes one span, spans concatenated; a run whose span is no longer (or not
   * yet) wholly in the history is left out.
   */
  private rowsAudio(history: SampleHistory, rows: readonly number[]): Float32Array {
    const parts: Float32Array[] = [];
    for (let i = 0; i < rows.length;) {
      let j = i;
      while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
      const x = history.slice(rows[i] * FB_HOP, rows[j] * FB_HOP + FB_WIN);
      if (x) parts.push(x);
      i = j + 1;
    }
    return concatFloat32(parts);
  }

  private addEvidence(key: string, feats: Float32Array, audio: Float32Array): void {
    if (!feats.length) return;
    const s = this.speakers.get(key) ?? (key === 'you' ? this.ensureSpeaker('you', 'mic', 'You') : null);
    if (!s) return;
    this.pushFeats(s, feats);
    if (audio.length) this.pushAudio(s, audio);
    s.seconds += feats.length / FB_DIM / FBANK_FRAMES_PER_S;
    if (this.index && s.idStep < IDENTIFY_AT_S.length && s.seconds >= IDENTIFY_AT_S[s.idStep]) {
      s.idStep++;
      this.job(() => this.identify(s));
    }
    if (s.attrStep < ATTRIBUTES_AT_S.length && s.seconds >= ATTRIBUTES_AT_S[s.attrStep]) {
      s.attrStep++;
      this.job(() => this.estimateAttributes(s));
    }
  }

  private job(fn: () => Promise<void>): void {
    const p: Promise<void> = fn()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.jobs.delete(p));
    this.jobs.add(p);
  }

  private evidence(s: SpeakerState): Float32Array {
    const out = new Float32Array(s.rows * FB_DIM);
    let o = 0;
    for (const f of s.feats) {
      out.set(f, o);
      o += f.length;
    }
    return out;
  }

  private async identify(s: SpeakerState): Promise<void> {
    const encoder = this.models.voiceprintEmbedder;
    if (!this.index || s.merged || s.rows < encoder.minFrames) return;
    const emb = await encoder.embed(this.evidence(s));
    const op = operatingPointFor(this.index.modelId);
    const id = identifySpeakers(this.index, new Map([[s.key, emb]]), op).get(s.key)!;
    // within one channel, a voiceprint names at most one speaker: the more similar keeps it
    const rival = [...this.speakers.values()].find(
      (o) =>
        o !== s &&
        o.channel === s.channel &&
        o.identification?.status === 'known' &&
        id.status === 'known' &&
        o.identification.best?.voiceprintId === id.best?.voiceprintId,
    );
    if (rival && (rival.identification!.best?.similarity ?? 0) >= (id.best?.similarity ?? 0)) return;
    const prev = s.identification;
    s.identification = id;
    // the mic speaker is the local user by definition: a voiceprint name is shown beside "You"
    const base = defaultLabel(s.key);
    const label = id.status === 'unknown' ? base : s.key === 'you' ? `You (${id.label})` : id.label;
    const first = prev === null;
    if (!first && label === s.label && prev?.status === id.status) return;
    s.label = label;
    const link = linksOf(new Map([[s.key, id]])).get(s.key)!;
    if (id.status === 'unknown') link.label = s.label;
    this.writer?.identify(s.key, link);
    this.emit({
      type: 'speaker',
      change: first ? 'identified' : 'relabelled',
      speaker: s.key,
      channel: s.channel,
      label: s.label,
      t_s: r3(this.t),
      status: id.status,
      similarity: id.best ? r3(id.best.similarity) : undefined,
    });
  }

  private async estimateAttributes(s: SpeakerState): Promise<void> {
    if (s.merged) return;
    const seconds = r1(s.seconds);
    const attrs: SpeakerAttributes = this.models.ageGender
      ? (liveAttributeGate(seconds) ??
        (await this.models.ageGender.estimate(
          this.evidence(s),
          Math.min(seconds, MAX_EVIDENCE_S),
          concatFloat32(s.audio),
        )))
      : { status: 'not_run', speechUsedS: seconds, reason: 'no age/gender model installed' };
    if (!this.models.ageGender && s.attributes.reason) return; // not_run is reported once
    s.attributes = attrs;
    this.writer?.attributes(s.key, attrs);
    this.emit({ type: 'attributes', speaker: s.key, t_s: r3(this.t), attributes: attrs });
  }

  private async finish(wallMs: number): Promise<LiveSessionSummary> {
    this.micRegions.finish();
    await this.diarizer.finish();
    await this.micDiarizer?.finish();
    while (this.jobs.size) await Promise.all([...this.jobs]);
    // last identification with everything heard
    for (const s of this.speakers.values()) {
      if (this.index && s.seconds > 0.5) this.job(() => this.identify(s));
    }
    while (this.jobs.size) await Promise.all([...this.jobs]);
    const d = this.diarizer.stats;
    const m = this.micDiarizer?.stats;
    Object.assign(this.stats, {
      segmentationMs: d.segmentationMs + (m?.segmentationMs ?? 0),
      embeddingMs: d.embeddingMs + (m?.embeddingMs ?? 0),
      modelSteps: d.modelSteps + (m?.modelSteps ?? 0),
    });
    const durationS = this.stats.frames * FRAME_S;
    const quality = this.finalQuality(durationS);
    const speech = new Map<string, number>();
    for (const t of this.turns) speech.set(t.speakerId, (speech.get(t.speakerId) ?? 0) + t.endS - t.startS);
    if (!this.turns.length) this.warnings.push('no speech detected');
    this.writer?.close(durationS, quality, this.warnings, durationS > 0 ? r3(wallMs / 1000 / durationS) : 0, {
      total: Math.round(wallMs),
      segmentation: Math.round(d.segmentationMs),
      embedding: Math.round(d.embeddingMs),
    });
    this.emit({
      type: 'session',
      state: 'stopped',
      t_s: r3(durationS),
      call_id: this.callId,
      source: this.source?.description ?? '',
    });
    if (this.failure) throw this.failure;
    return {
      durationS: r3(durationS),
      callId: this.callId,
      turns: this.turns.length,
      speakers: [...this.speakers.values()]
        .filter((s) => speech.has(s.key))
        .map((s) => ({ id: s.key, label: s.label, channel: s.channel, speechS: r3(speech.get(s.key)!) })),
      warnings: [...this.warnings],
    };
  }

  private finalQuality(durationS: number): ChannelQuality[] {
    return (['mic', 'system'] as const).map((ch) =>
      this.quality[ch].finish(speechRegionsFromProbs(this.probs[ch], FRAME_S, durationS), false),
    );
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * The finalised turns so far, of one channel or of both, in the order they closed (open turns
   * are not included); a merged speaker's turns carry the key it was merged into. Used to score a
   * live session (DER) like a file result.
   */
  turnsOf(channel?: LiveChannel): Turn[] {
    return this.turns.filter((t) => !channel || t.channel === channel);
  }
}

/** Rolling statistics of one channel over the last ~5 s (for live quality warnings). */
class RollingLevels {
  private readonly n = 156;
  private readonly pow = new Float64Array(this.n);
  private readonly clip = new Uint16Array(this.n);
  private readonly speech = new Uint8Array(this.n);
  private i = 0;
  frames = 0;

  push(x: Float32Array, pow: number, prob: number): void {
    let c = 0;
    for (let k = 0; k < x.length; k++)
      if (x[k] >= QUALITY_THRESHOLDS.clipLevel || x[k] <= -QUALITY_THRESHOLDS.clipLevel) c++;
    this.pow[this.i] = pow;
    this.clip[this.i] = c;
    this.speech[this.i] = prob >= VAD_ONSET ? 1 : 0;
    this.i = (this.i + 1) % this.n;
    this.frames = Math.min(this.frames + 1, this.n);
  }

  clipRatio(): number {
    let c = 0;
    for (let k = 0; k < this.frames; k++) c += this.clip[k];
    return c / (this.frames * 512);
  }

  rmsDbfs(): number {
    let s = 0;
    for (let k = 0; k < this.frames; k++) s += this.pow[k];
    return dbfs(s / Math.max(this.frames, 1));
  }

  /** Mean speech-frame level, dBFS; null with < 1 s of speech. */
  speechDbfs(): number | null {
    let s = 0;
    let n = 0;
    for (let k = 0; k < this.frames; k++) {
      if (this.speech[k]) {
        s += this.pow[k];
        n++;
      }
    }
    return n >= 31 ? dbfs(s / n) : null;
  }
}

/** The label of a speaker key before any voiceprint names it: You, Speaker N (system), Local N (mic). */
function defaultLabel(key: string): string {
  if (key === 'you') return 'You';
  return `${parseLiveSpeakerKey(key)?.channel === 'mic' ? 'Local' : 'Speaker'} ${key.slice(1)}`;
}

/** Hysteresis of a VAD state (onset 0.5, offset 0.35, as the regions). */
const hyst = (on: boolean, p: number): boolean => (on ? p >= VAD_OFFSET : p >= VAD_ONSET);
const r3 = (v: number): number => round(v, 3);
const r1 = (v: number): number => round(v, 1);

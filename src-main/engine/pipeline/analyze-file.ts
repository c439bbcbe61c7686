/**
 * File analysis: decode (ffmpeg, streamed) → quality → VAD → [2 channels: self-VAD for the local
 * user] → segmentation → embeddings → clustering → result. One pass over the audio; memory stays
 * bounded by one segmentation window per diarised channel plus per-frame summaries.
 */
import { basename } from 'node:path';

import type {
  AnalysisResult,
  AnalyzeOptions,
  ChannelRole,
  ModelUse,
  ProgressHook,
  ProviderSettings,
  Speaker,
  Stage,
  StageTimings,
  Turn,
} from '../../../src-shared/contracts/analysis.ts';
import { providerSummary } from '../../../src-shared/formats/providers.ts';
import {
  AudioInputError,
  decodeStream,
  ENGINE_SAMPLE_RATE,
  channelCorrelation,
  downmixBlock,
  type AudioBlock,
  probeAudio,
  type AudioProbe,
} from '../audio/ffmpeg.ts';
import { QualityAccumulator } from '../audio/quality.ts';
import {
  ChannelDiarizer,
  vadSpeechGate,
  DEFAULT_CHANNEL_DIARIZER,
  type ChannelDiarizerOptions,
  type DiarizerSnapshot,
} from '../diarization/channel-diarizer.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../diarization/embedding.ts';
import { Segmenter } from '../diarization/segmentation.ts';
import { fillVadHoles } from '../diarization/vad-holes.ts';
import { shippedPlda, type VbxClusteringOptions } from '../diarization/vbx-clustering.ts';
import { OnnxModel } from '../inference/onnx.ts';
import { OnnxWorkerModel } from '../inference/onnx-worker.ts';
import {
  activeModelId,
  loadManifest,
  missingModels,
  missingModelsMessage,
  type ModelChoices,
  ModelNotFoundError,
  readSavedProviders,
} from '../inference/registry.ts';
import { type Interval, speechRegionsFromProbs, totalDuration } from '../vad/regions.ts';
import { createMultiChannelVad } from '../vad/multi.ts';
import { selfVadProbabilities } from '../vad/self-vad.ts';
import { collectSpeakerFeatures, DEFAULT_EVIDENCE, selectEvidenceSpans } from './speaker-evidence.ts';
import { createAgeGenderEstimator } from '../attributes/age-gender.ts';
import type { AgeGenderEstimator } from '../attributes/estimator.ts';
import { voiceprintModelId } from '../voiceprints/models.ts';
import { FB_DIM } from '../audio/fbank.ts';
import { round } from '../../../src-shared/math.ts';

/** Models loaded once and shared by every analysis of an engine instance. */
export interface EngineModels {
  vadModel: OnnxModel;
  segmenter: Segmenter;
  /** Encoder of the diarization (speaker clustering). */
  embedder: EmbeddingBackend;
  /**
   * Encoder of voiceprint enrollment and identification (engine/voiceprints/models.ts); the same
   * instance as `embedder` when both roles use one model.
   */
  voiceprintEmbedder: EmbeddingBackend;
  ageGender: AgeGenderEstimator | null;
  models: ModelUse[];
}

/** Tunable parameters of the pipeline (defaults tuned on the dev set; see bench/README). */
export interface PipelineParams {
  diarizer: ChannelDiarizerOptions;
  /** Self-VAD: dB by which the mic must exceed the estimated bleed of the system channel. */
  selfVadMarginDb: number;
  /**
   * Skip the segmentation model for 10-s windows in which no VAD frame reaches this speech
   * probability (`vadSpeechGate` in diarization/channel-diarizer.ts); null = segment every window.
   */
  silentWindowMaxProb: number | null;
  /**
   * System channel of a two-channel call, where one remote speaker is the rule: when every pair of
   * its cluster centroids is closer than this cosine distance, the channel is one speaker
   * (`clusterSnapshot`'s `oneSpeakerBelow`). Keyed by embedding id (distances are on each
   * embedding's own scale); an embedding not listed keeps its clusters. Ignored when the caller
   * gives a speaker count. Chosen by leave-one-source-out CV (bench/diar-cv.ts).
   */
  callOneSpeakerBelow: Readonly<Record<string, number>>;
  /**
   * VBx clustering (diarization/vbx-clustering.ts) per embedding id, used when a PLDA ships for
   * that encoder (`models/<id>.plda.json`); an id not listed clusters with AHC alone.
   */
  vbx: Readonly<Record<string, Omit<VbxClusteringOptions, 'plda'>>>;
  /** VAD speech no turn covers goes to the nearest turn's speaker within this many s (null = unassigned; diarization/vad-holes.ts). */
  vadHoleMaxGapS: number | null;
}

/** Seconds scanned, and the channel correlation above which a 2-channel file is "dual mono". */
const DUAL_MONO_SCAN_S = 20;
const DUAL_MONO_MIN_CORRELATION = 0.95;

export const DEFAULT_PARAMS: PipelineParams = {
  diarizer: DEFAULT_CHANNEL_DIARIZER,
  selfVadMarginDb: 6,
  silentWindowMaxProb: 0.2,
  // bench/README.md "Clustering re-fit": one-remote sim calls split 5/13 → 0/13, aws 24.7 → 6.4 %
  callOneSpeakerBelow: { 'fbank-stats': 0.15 },
  vbx: {},
  vadHoleMaxGapS: null,
};

/**
 * Loads the model of each role: `opts.models[role]` (CLI `--model`), else the user's choice
 * (Settings > Models, `callscope models use`), else the manifest default; each on the first
 * execution provider of its order that works (`opts.providers`, else the order saved in Settings,
 * else `CALLSCOPE_PROVIDERS`, else CPU). `opts.embedding` / `opts.ageGender` (null = no attributes) override the same roles.
 * The segmentation model runs in a worker thread unless `opts.segmentationThread` is `main`.
 * @throws ModelNotFoundError with the places searched when a model file is missing, or when an
 *   id is not a model of its role; ModelIntegrityError on a sha256 mismatch;
 *   ProviderConfigError when `CALLSCOPE_PROVIDERS` is invalid; Error when the segmentation
 *   worker thread cannot start.
 */
export async function loadEngineModels(
  opts: Pick<AnalyzeOptions, 'embedding'> & {
    /** Voiceprint encoder id (default {@link voiceprintModelId}). */
    voiceprint?: string;
    ageGender?: string | null;
    providers?: ProviderSettings;
    models?: ModelChoices;
    /**
     * Where the segmentation session runs: `worker` (default) in a worker thread beside the rest
     * of the pipeline, `main` on the calling thread (one core; same results).
     */
    segmentationThread?: 'worker' | 'main';
  } = {},
): Promise<EngineModels> {
  const pick = opts.models ?? {};
  const vadId = pick.vad ?? activeModelId('vad') ?? 'silero-vad-v6';
  const segId = pick.segmentation ?? activeModelId('segmentation') ?? 'pyannote-segmentation-3.0-int8';
  checkRole(vadId, 'vad');
  checkRole(segId, 'segmentation');
  // every model file this load needs, checked first, so that all missing ones are named at once
  const embWanted = opts.embedding ?? pick.embedding ?? activeModelId('embedding');
  const agWanted =
    opts.ageGender !== undefined ? opts.ageGender : (pick.agegender ?? activeModelId('agegender'));
  const missing = missingModels([
    vadId,
    segId,
    ...(embWanted ? [embWanted] : []),
    ...(agWanted ? [agWanted] : []),
  ]);
  if (missing.length) throw new ModelNotFoundError(missingModelsMessage(missing));
  // CLI --providers, else the order saved in Settings, else CALLSCOPE_PROVIDERS / CPU (onnx.ts)
  const providers = opts.providers ?? readSavedProviders() ?? undefined;
  const vadModel = await OnnxModel.load(vadId, { intraOpThreads: 1, role: 'vad', providers });
  // segmentation, two thirds of the pipeline's CPU time, runs in a worker thread beside the rest
  // (same session options and results; bench/README.md "What limits it")
  const segOpts = { intraOpThreads: 1, role: 'segmentation' as const, providers };
  const seg =
    opts.segmentationThread === 'main'
      ? await OnnxModel.load(segId, segOpts)
      : await OnnxWorkerModel.load(segId, segOpts);
  const embId = opts.embedding ?? pick.embedding;
  if (embId) checkRole(embId, 'embedding');
  const embedder = await createEmbeddingBackend(embId, providers);
  const vpId = opts.voiceprint ?? voiceprintModelId();
  checkRole(vpId, 'embedding');
  const voiceprintEmbedder =
    vpId === embedder.use.id ? embedder : await createEmbeddingBackend(vpId, providers);
  const agId = opts.ageGender !== undefined ? opts.ageGender : pick.agegender;
  if (agId) checkRole(agId, 'agegender');
  const ageGender = await createAgeGenderEstimator(agId, providers);
  const use = (m: Pick<OnnxModel, 'resolved' | 'path' | 'provider'>, role: ModelUse['role']): ModelUse => ({
    role,
    id: m.resolved?.entry.id ?? m.path,
    version: m.resolved?.entry.version ?? 'unknown',
    sha256: m.resolved?.entry.sha256 ?? null,
    provider: m.provider,
  });
  return {
    vadModel,
    segmenter: new Segmenter(seg),
    embedder,
    voiceprintEmbedder,
    ageGender,
    models: [
      use(vadModel, 'vad'),
      use(seg, 'segmentation'),
      embedder.use,
      ...(ageGender ? [ageGender.use] : []),
    ],
  };
}

/** @throws ModelNotFoundError when `id` is unknown or a model of another role. */
function checkRole(id: string, role: ModelUse['role']): void {
  const entry = loadManifest().models.find((m) => m.id === id);
  if (!entry) throw new ModelNotFoundError(`unknown model id "${id}" (see \`callscope models list\`)`);
  if (entry.role !== role)
    throw new ModelNotFoundError(`model "${id}" is a ${entry.role} model, not a ${role} model`);
}

/** Channel roles for a probed file and a requested layout. @throws AudioInputError on mismatch. */
export function channelRoles(
  file: string,
  probe: AudioProbe,
  layout: AnalyzeOptions['channels'],
): ChannelRole[] {
  const l = layout ?? 'auto';
  if (l === 'mono') return ['mono'];
  if (probe.channels === 1) {
    if (l === 'auto') return ['mono'];
    throw new AudioInputError(
      file,
      `mono recording, but --channels ${l} expects 2 channels (mic and system)`,
    );
  }
  if (probe.channels === 2) return l === 'system,mic' ? ['system', 'mic'] : ['mic', 'system'];
  throw new AudioInputError(
    file,
    `${probe.channels} channels: expected mono or 2 channels (mic, system); use --channels mono to down-mix`,
  );
}

interface ChannelState {
  role: ChannelRole;
  quality: QualityAccumulator;
  probs: number[];
  diarizer: ChannelDiarizer | null;
}

/** Stage timer: accumulates wall-clock ms per stage. */
class Timer {
  readonly ms: StageTimings = {};
  async time<T>(stage: Stage, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.ms[stage] = (this.ms[stage] ?? 0) + performance.now() - t0;
    }
  }
}

/** Throttles a progress hook to one call per stage per 100 ms (plus the final call). */
function throttle(hook: ProgressHook | undefined): ProgressHook {
  const last = new Map<Stage, number>();
  return (stage, completed, total) => {
    if (!hook) return;
    const now = performance.now();
    if (completed < total && now - (last.get(stage) ?? -Infinity) < 100) return;
    last.set(stage, now);
    hook(stage, completed, total);
  };
}

/**
 * Analyses one recording end to end.
 * @param file path of any audio format ffmpeg decodes.
 * @param models models from {@link loadEngineModels} (shared across files).
 * @param hook progress hook `(stage, completed, total)`.
 * @throws AudioInputError naming the file and the problem (missing, empty, not audio, corrupt,
 *   truncated, no samples, unsupported channel count).
 */
export async function analyzeFile(
  file: string,
  models: EngineModels,
  opts: AnalyzeOptions = {},
  hook?: ProgressHook,
  params: PipelineParams = DEFAULT_PARAMS,
): Promise<AnalysisResult> {
  const tStart = performance.now();
  const progress = throttle(hook);
  const timer = new Timer();
  const probe = await timer.time('decode', () => probeAudio(file));
  let roles = channelRoles(file, probe, opts.channels);
  const warnings: string[] = [];
  const stream = decodeStream(file, probe, { channels: roles.length === 1 ? 'mono' : 'keep' });
  const pull = (): Promise<IteratorResult<AudioBlock>> => timer.time('decode', () => stream.next());
  // auto layout: look at the first 20 s of a 2-channel file before deciding it is a call
  const head: AudioBlock[] = [];
  let ended = false;
  let downmix = false;
  if ((opts.channels ?? 'auto') === 'auto' && roles.length === 2) {
    for (let n = 0; n < DUAL_MONO_SCAN_S * ENGINE_SAMPLE_RATE;) {
      const next = await pull();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      n += next.value[0].length;
    }
    if (channelCorrelation(head) >= DUAL_MONO_MIN_CORRELATION) {
      roles = ['mono'];
      downmix = true;
      warnings.push(
        'both channels carry the same signal: analysed as mono (use --channels mic,system to force a call layout)',
      );
    }
  }
  async function* blocks(): AsyncGenerator<AudioBlock> {
    try {
      for (const b of head) yield downmix ? downmixBlock(b) : b;
      head.length = 0;
      if (ended) return;
      for (let next = await pull(); !next.done; next = await pull())
        yield downmix ? downmixBlock(next.value) : next.value;
    } finally {
      await stream.return(undefined); // stops ffmpeg if analysis ends early (error)
    }
  }
  const tuned = models.embedder.clusteringDefaults;
  const diarizerOpts: ChannelDiarizerOptions = {
    ...params.diarizer,
    normalization: params.diarizer.normalization ?? tuned.normalization,
    stepSamples: opts.segmentationStepS
      ? Math.round(opts.segmentationStepS * ENGINE_SAMPLE_RATE)
      : params.diarizer.stepSamples,
    clustering: {
      ...params.diarizer.clustering,
      threshold: opts.clusteringThreshold ?? params.diarizer.clustering.threshold ?? tuned.threshold,
      numClusters: opts.numSpeakers,
      minClusters: opts.minSpeakers,
      maxClusters: opts.maxSpeakers,
    },
  };
  if (diarizerOpts.stepSamples <= 0 || diarizerOpts.stepSamples > ENGINE_SAMPLE_RATE) {
    throw new Error(
      `segmentation step must be in (0, 1] s, got ${diarizerOpts.stepSamples / ENGINE_SAMPLE_RATE}`,
    );
  }
  let windowsDone = 0;
  const expectedSamples = probe.durationS ? probe.durationS * ENGINE_SAMPLE_RATE : 0;
  const expectedWindows = Math.max(1, Math.ceil(expectedSamples / diarizerOpts.stepSamples));
  const vad = createMultiChannelVad(opts.vad ?? 'silero', models.vadModel, roles.length);
  const vbxParams = params.vbx[models.embedder.id];
  const plda = vbxParams ? shippedPlda(models.embedder.id) : null;
  if (vbxParams && plda) diarizerOpts.vbx = { ...vbxParams, plda };
  const oneSpeakerBelow = params.callOneSpeakerBelow[models.embedder.id];
  const systemOpts: ChannelDiarizerOptions =
    roles.includes('mic') && oneSpeakerBelow !== undefined && opts.numSpeakers === undefined
      ? { ...diarizerOpts, oneSpeakerBelow }
      : diarizerOpts;
  const channels: ChannelState[] = roles.map((role) => {
    const probs: number[] = [];
    const gate =
      params.silentWindowMaxProb === null
        ? undefined
        : vadSpeechGate(probs, vad.hopS * ENGINE_SAMPLE_RATE, params.silentWindowMaxProb);
    return {
      role,
      quality: new QualityAccumulator(role),
      probs,
      diarizer:
        role === 'mic'
          ? null
          : new ChannelDiarizer(
              models.segmenter,
              models.embedder,
              role === 'system' ? systemOpts : diarizerOpts,
              (n) => {
                windowsDone = n;
                progress('segmentation', n, expectedWindows);
              },
              gate,
            ),
    };
  });

  let decoded = 0;
  const addProbs = (probs: Float32Array[]): void =>
    probs.forEach((p, c) => {
      for (const v of p) channels[c].probs.push(v);
    });
  for await (const block of blocks()) {
    decoded += block[0].length;
    progress('decode', decoded, expectedSamples);
    for (let c = 0; c < channels.length; c++)
      await timer.time('quality', () => channels[c].quality.push(block[c]));
    // VAD runs here while segmentation runs in its worker thread (loadEngineModels); the diarizer
    // keeps a few windows in flight and embeds each when its activity comes back, so decoding,
    // VAD and embeddings overlap with segmentation. (onnxruntime-node runs inference synchronously
    // on the calling thread, so without the worker the two would only interleave.) The VAD of a
    // block runs before the block is pushed, so the speech gate can skip silent windows. Stage
    // timings are wall-clock; `segmentation` is the time spent waiting for the worker.
    addProbs(await timer.time('vad', () => vad.pushAll(block)));
    progress('vad', decoded, expectedSamples);
    await Promise.all(channels.map((ch, c) => ch.diarizer?.push(block[c])));
  }
  if (decoded === 0) throw new AudioInputError(file, 'contains no audio samples (0 s)');
  if (probe.durationS && probe.durationS > 2 && decoded / ENGINE_SAMPLE_RATE < 0.9 * probe.durationS - 0.5) {
    throw new AudioInputError(
      file,
      `truncated or corrupt: the header says ${probe.durationS.toFixed(1)} s, only ${(decoded / ENGINE_SAMPLE_RATE).toFixed(1)} s decode`,
    );
  }
  const durationS = decoded / ENGINE_SAMPLE_RATE;
  progress('decode', decoded, decoded);

  // VAD regions and quality per channel
  const regions: Interval[][] = [];
  addProbs(await timer.time('vad', () => vad.flushAll()));
  for (const ch of channels) {
    regions.push(speechRegionsFromProbs(ch.probs, vad.hopS, durationS));
  }
  progress('vad', decoded, decoded);
  if (probe.headerLength)
    warnings.push(
      `header says ${probe.headerLength.headerS.toFixed(1)} s, file holds ${probe.headerLength.fileS.toFixed(1)} s ` +
        '(the WAV length field is the 0xFFFFFFFF placeholder of an unfinished or streamed recording); analysed what is there',
    );
  const narrowband = probe.sampleRate <= 8000;
  if (narrowband)
    warnings.push(`narrowband source (${probe.sampleRate} Hz): analysed after resampling to 16 kHz`);
  const quality = channels.map((ch, i) => ch.quality.finish(regions[i], narrowband));
  progress('quality', 1, 1);

  // diarization of the system / mono channel(s); self-VAD for the mic
  const speakers: Speaker[] = [];
  const turns: Turn[] = [];
  let clusterOffset = 0;
  const diarTimings = { segmentation: 0, embedding: 0, clustering: 0 };
  for (let c = 0; c < channels.length; c++) {
    const ch = channels[c];
    if (ch.diarizer) {
      progress('clustering', 0, 1);
      const res = await ch.diarizer.finish();
      progress('segmentation', windowsDone, windowsDone);
      progress('embedding', res.embeddings, res.embeddings);
      progress('clustering', 1, 1);
      for (const k of Object.keys(diarTimings) as (keyof typeof diarTimings)[])
        diarTimings[k] += ch.diarizer.timings[k];
      const filled =
        params.vadHoleMaxGapS === null
          ? res.turns
          : fillVadHoles(res.turns, regions[c], { maxGapS: params.vadHoleMaxGapS });
      for (const t of filled) {
        turns.push({
          startS: t.start,
          endS: t.end,
          speakerId: `c${clusterOffset + t.cluster}`,
          channel: ch.role,
          overlap: false,
        });
      }
      clusterOffset += res.numClusters;
    } else {
      const other = channels.find((o) => o.role === 'system');
      const probs = other
        ? selfVadProbabilities(ch.probs, other.probs, ch.quality, other.quality, params.selfVadMarginDb)
        : ch.probs;
      const local = speechRegionsFromProbs(probs, vad.hopS, durationS);
      for (const r of local)
        turns.push({ startS: r.start, endS: r.end, speakerId: 'you', channel: 'mic', overlap: false });
      if (!local.length && totalDuration(regions[c]) > 1) {
        warnings.push('the mic channel has speech, but all of it looks like bleed from the system channel');
      }
    }
  }
  timer.ms.segmentation = diarTimings.segmentation;
  timer.ms.embedding = diarTimings.embedding;
  timer.ms.clustering = diarTimings.clustering;

  finalizeSpeakers(turns, speakers);
  markOverlaps(turns);
  const speakerEmbeddings = await timer.time('attributes', () =>
    speakerEvidence(file, probe, roles, turns, speakers, models),
  );
  progress('attributes', 1, 1);
  if (!turns.length) warnings.push('no speech detected');
  for (const q of quality) {
    for (const f of q.flags)
      if (f !== 'narrowband') warnings.push(`${q.channel} channel: ${f.replace('_', ' ')}`);
  }
  const totalMs = performance.now() - tStart;
  timer.ms.total = totalMs;
  const provider = providerSummary(models.models);
  for (const k of Object.keys(timer.ms) as (keyof StageTimings)[]) timer.ms[k] = round(timer.ms[k]!, 1);
  const result: AnalysisResult = {
    schemaVersion: 1,
    file: basename(file),
    durationS: round(durationS, 3),
    sourceChannels: probe.channels,
    sourceSampleRate: probe.sampleRate,
    channels: roles,
    models: models.models,
    executionProvider: { name: provider.name, reason: provider.reason },
    quality,
    speakers,
    turns,
    timingsMs: timer.ms,
    rtf: Math.round((totalMs / 1000 / durationS) * 10000) / 10000,
    warnings,
  };
  lastSpeakerEmbeddings.set(result, speakerEmbeddings);
  lastDiarizerSnapshots.set(
    result,
    channels.flatMap((ch) => (ch.diarizer ? [{ role: ch.role, snapshot: ch.diarizer.snapshot() }] : [])),
  );
  return result;
}

/** The diarized channels of a result: their windows and embeddings before clustering. */
const lastDiarizerSnapshots = new WeakMap<
  AnalysisResult,
  { role: ChannelRole; snapshot: DiarizerSnapshot }[]
>();

/**
 * The segmentation windows and embeddings of each diarized channel of a result produced by
 * {@link analyzeFile} (for re-clustering with other options, e.g. `bench/diar-cv.ts`); empty for
 * other results.
 */
export function diarizerSnapshotsOf(
  result: AnalysisResult,
): { role: ChannelRole; snapshot: DiarizerSnapshot }[] {
  return lastDiarizerSnapshots.get(result) ?? [];
}

/** Per-speaker embeddings of one encoder (raw, from each speaker's best speech). */
export interface SpeakerEmbeddingSet {
  /** The encoder (model id + version) that made them. */
  use: ModelUse;
  /** Speaker id → raw embedding (speakers with too little clean speech are absent). */
  embeddings: Map<string, Float32Array>;
}

/**
 * Speaker embeddings of results produced by {@link analyzeFile}, one set per encoder that ran:
 * the voiceprint encoder first, then the diarization encoder when it is another model. Kept out
 * of the result itself: voiceprints are biometric data and must not end up in exported JSON by
 * accident.
 */
const lastSpeakerEmbeddings = new WeakMap<AnalysisResult, SpeakerEmbeddingSet[]>();

/** The per-speaker embeddings of the diarization encoder for a result (empty map when none). */
export function speakerEmbeddingsOf(result: AnalysisResult): Map<string, Float32Array> {
  const sets = lastSpeakerEmbeddings.get(result) ?? [];
  const diar = result.models.find((m) => m.role === 'embedding');
  return sets.find((x) => x.use.id === diar?.id)?.embeddings ?? sets[0]?.embeddings ?? new Map();
}

/**
 * The per-speaker embeddings of every encoder that ran for a result, voiceprint encoder first
 * (empty when none; identification uses the first set).
 */
export function speakerEmbeddingSetsOf(result: AnalysisResult): SpeakerEmbeddingSet[] {
  return lastSpeakerEmbeddings.get(result) ?? [];
}

/** Fills speakers' attributes and returns their embeddings, one set per encoder. */
async function speakerEvidence(
  file: string,
  probe: AudioProbe,
  roles: ChannelRole[],
  turns: Turn[],
  speakers: Speaker[],
  models: EngineModels,
): Promise<SpeakerEmbeddingSet[]> {
  const spans = selectEvidenceSpans(turns, roles, DEFAULT_EVIDENCE);
  const feats = await collectSpeakerFeatures(file, probe, roles, spans);
  const encoders = [models.voiceprintEmbedder];
  if (models.embedder !== models.voiceprintEmbedder) encoders.push(models.embedder);
  const sets = encoders.map((e) => ({ use: e.use, embeddings: new Map<string, Float32Array>() }));
  for (const s of speakers) {
    const f = feats.get(s.id);
    if (!f) {
      s.attributes = { status: 'undetermined', speechUsedS: 0, reason: 'no clean (non-overlapped) speech' };
      continue;
    }
    const x = Float32Array.from(f.feats);
    for (const [i, enc] of encoders.entries()) {
      // a copy each: an ONNX encoder normalises its input in place (CMN)
      if (f.feats.length / FB_DIM >= enc.minFrames) sets[i].embeddings.set(s.id, await enc.embed(x.slice()));
    }
    if (models.ageGender) s.attributes = await models.ageGender.estimate(f.feats, f.seconds, f.audio);
  }
  return sets;
}

/** Renames cluster ids to S1.. in order of first speech, builds the speaker list (You first). */
function finalizeSpeakers(turns: Turn[], speakers: Speaker[]): void {
  turns.sort((a, b) => a.startS - b.startS || a.endS - b.endS);
  const rename = new Map<string, string>();
  for (const t of turns) {
    if (t.speakerId === 'you' || rename.has(t.speakerId)) continue;
    rename.set(t.speakerId, `S${rename.size + 1}`);
  }
  const speech = new Map<string, number>();
  for (const t of turns) {
    if (t.speakerId !== 'you') t.speakerId = rename.get(t.speakerId)!;
    t.startS = round(t.startS, 3);
    t.endS = round(t.endS, 3);
    speech.set(t.speakerId, (speech.get(t.speakerId) ?? 0) + (t.endS - t.startS));
  }
  const notRun = { status: 'not_run' as const, speechUsedS: 0 };
  if (speech.has('you')) {
    speakers.push({
      id: 'you',
      label: 'You',
      channel: 'mic',
      speechS: round3(speech.get('you')!),
      attributes: notRun,
    });
  }
  for (const [, id] of rename) {
    const channel = turns.find((t) => t.speakerId === id)!.channel;
    speakers.push({
      id,
      label: `Speaker ${id.slice(1)}`,
      channel,
      speechS: round3(speech.get(id) ?? 0),
      attributes: { ...notRun },
    });
  }
}

const round3 = (v: number): number => round(v, 3);

/** Sets `overlap` on every turn that intersects a turn of another speaker. Turns must be sorted. */
export function markOverlaps(turns: Turn[]): void {
  for (let i = 0; i < turns.length; i++) {
    for (let j = i + 1; j < turns.length && turns[j].startS < turns[i].endS; j++) {
      if (turns[j].speakerId !== turns[i].speakerId) {
        turns[i].overlap = true;
        turns[j].overlap = true;
      }
    }
  }
}

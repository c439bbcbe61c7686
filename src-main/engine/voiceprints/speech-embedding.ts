/**
 * Embeddings of arbitrary recordings for enrollment and identification: decode to 16 kHz mono
 * (ffmpeg), keep an optional time range, find speech with Silero VAD, compute Kaldi fbank on the
 * speech regions only, and embed the pooled frames with the engine's embedding backend.
 */
import type { ModelUse } from '../../../src-shared/contracts/analysis.ts';
import { MIN_ENROLL_SPEECH_S } from '../../../src-shared/contracts/voiceprints.ts';
import { computeFbank, FB_DIM, FBANK_FRAMES_PER_S } from '../audio/fbank.ts';
import { AudioInputError, decodeStream, ENGINE_SAMPLE_RATE, probeAudio } from '../audio/ffmpeg.ts';
import { QualityAccumulator } from '../audio/quality.ts';
import type { EmbeddingBackend } from '../diarization/embedding.ts';
import type { EngineModels } from '../index.ts';
import { speechRegionsFromProbs } from '../vad/regions.ts';
import { SileroVad } from '../vad/silero.ts';
import { round } from '../../../src-shared/math.ts';

/** VAD speech of one file (or range), as fbank frames. */
export interface SpeechFeatures {
  /** Raw fbank frames [T, 80] of the speech regions, concatenated. */
  feats: Float32Array;
  /** Seconds of VAD speech used. */
  speechS: number;
  /** SNR of the range (speech vs non-speech power), dB; null when undeterminable. */
  snrDb: number | null;
}

/** Options of {@link speechFeatures}. */
export interface RangeOptions {
  /** Start of the range, seconds (default 0). */
  fromS?: number;
  /** End of the range, seconds (default: end of file). */
  toS?: number;
  /** Speech kept at most, seconds (longest regions first are not preferred: in time order). */
  maxSpeechS?: number;
}

/**
 * Decodes `file` (down-mixed to mono), runs Silero VAD and returns the fbank frames of the speech.
 * @throws AudioInputError for unreadable audio or an empty range.
 */
export async function speechFeatures(
  file: string,
  models: Pick<EngineModels, 'vadModel'>,
  opts: RangeOptions = {},
): Promise<SpeechFeatures> {
  const from = Math.max(0, opts.fromS ?? 0);
  const to = opts.toS ?? Infinity;
  if (!(to > from)) throw new AudioInputError(file, `empty time range ${from}–${to} s`);
  const probe = await probeAudio(file);
  const vad = new SileroVad(models.vadModel);
  const quality = new QualityAccumulator('mono');
  const parts: Float32Array[] = [];
  const probs: number[] = [];
  let pos = 0;
  const a = Math.round(from * ENGINE_SAMPLE_RATE);
  const b = Number.isFinite(to) ? Math.round(to * ENGINE_SAMPLE_RATE) : Infinity;
  for await (const [block] of decodeStream(file, probe, { channels: 'mono' })) {
    const s = Math.max(a, pos);
    const e = Math.min(b, pos + block.length);
    if (e > s) {
      const piece = block.subarray(s - pos, e - pos);
      parts.push(piece.slice());
      quality.push(piece);
      for (const p of await vad.push(piece)) probs.push(p);
    }
    pos += block.length;
    if (pos >= b) break;
  }
  for (const p of await vad.flush()) probs.push(p);
  const n = parts.reduce((k, p) => k + p.length, 0);
  if (!n)
    throw new AudioInputError(file, `no audio in the range ${from}–${Number.isFinite(to) ? to : 'end'} s`);
  const audio = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    audio.set(p, o);
    o += p.length;
  }
  const durS = n / ENGINE_SAMPLE_RATE;
  const regions = speechRegionsFromProbs(probs, vad.hopS, durS);
  const q = quality.finish(regions, probe.sampleRate <= 8000);
  const maxS = opts.maxSpeechS ?? 120;
  const featParts: Float32Array[] = [];
  let speechS = 0;
  for (const r of regions) {
    if (speechS >= maxS) break;
    const end = Math.min(r.end, r.start + (maxS - speechS));
    const seg = audio.subarray(
      Math.round(r.start * ENGINE_SAMPLE_RATE),
      Math.round(end * ENGINE_SAMPLE_RATE),
    );
    const f = computeFbank(seg);
    if (!f.length) continue;
    featParts.push(f);
    speechS += seg.length / ENGINE_SAMPLE_RATE;
  }
  const feats = new Float32Array(featParts.reduce((k, p) => k + p.length, 0));
  o = 0;
  for (const p of featParts) {
    feats.set(p, o);
    o += p.length;
  }
  return { feats, speechS, snrDb: q.snrDb };
}

/** An embedding with its provenance, ready to store. */
export interface SpeechEmbedding {
  vector: Float32Array;
  modelId: string;
  modelVersion: string;
  speechS: number;
  snrDb: number | null;
}

/** Too little speech for an enrollment (message is shown to the user as is). */
export class NotEnoughSpeechError extends Error {
  constructor(
    readonly speechS: number,
    readonly requiredS: number,
  ) {
    super(
      `only ${speechS.toFixed(1)} s of clear speech found, at least ${requiredS} s are needed to enroll a voice; ` +
        'use a longer recording or a wider --from/--to range',
    );
    this.name = 'NotEnoughSpeechError';
  }
}

/**
 * Embeds the pooled VAD speech of one or more files (each optionally cut to a range).
 * @param minSpeechS refuse below this much speech (enrollment: {@link MIN_ENROLL_SPEECH_S};
 *   identification: 0, only the encoder's minimum frames apply).
 * @throws NotEnoughSpeechError, AudioInputError.
 */
export async function embedSpeech(
  files: string[],
  models: Pick<EngineModels, 'vadModel' | 'embedder'>,
  opts: RangeOptions & { minSpeechS?: number } = {},
): Promise<SpeechEmbedding> {
  return (await embedSpeechWith(files, models.vadModel, [models.embedder], opts))[0];
}

/**
 * Embeds the pooled VAD speech of one or more files with several encoders (decoding, VAD and
 * fbank run once): one {@link SpeechEmbedding} per encoder, in the order given. Enrollment uses
 * it to store an embedding of every available model (engine/voiceprints/models.ts).
 * @throws NotEnoughSpeechError (below `minSpeechS`, or below the first encoder's minimum frames;
 *   a later encoder that needs more frames is left out), AudioInputError.
 */
export async function embedSpeechWith(
  files: string[],
  vadModel: EngineModels['vadModel'],
  embedders: EmbeddingBackend[],
  opts: RangeOptions & { minSpeechS?: number } = {},
): Promise<SpeechEmbedding[]> {
  if (!embedders.length) throw new Error('embedSpeechWith needs at least one encoder');
  const all: SpeechFeatures[] = [];
  for (const f of files) all.push(await speechFeatures(f, { vadModel }, opts));
  const speechS = all.reduce((s, x) => s + x.speechS, 0);
  const required = opts.minSpeechS ?? MIN_ENROLL_SPEECH_S;
  const frames = all.reduce((s, x) => s + x.feats.length, 0) / FB_DIM;
  if (speechS < required || frames < embedders[0].minFrames)
    throw new NotEnoughSpeechError(speechS, Math.max(required, embedders[0].minFrames / FBANK_FRAMES_PER_S));
  const feats = new Float32Array(frames * FB_DIM);
  let o = 0;
  for (const x of all) {
    feats.set(x.feats, o);
    o += x.feats.length;
  }
  const snrs = all.filter((x) => x.snrDb !== null && x.speechS > 0);
  const snrDb = snrs.length
    ? snrs.reduce((s, x) => s + x.snrDb! * x.speechS, 0) / snrs.reduce((s, x) => s + x.speechS, 0)
    : null;
  const out: SpeechEmbedding[] = [];
  for (const e of embedders) {
    if (frames < e.minFrames) continue;
    const use: ModelUse = e.use;
    out.push({
      // a copy each: an ONNX encoder normalises its input in place (CMN)
      vector: await e.embed(feats.slice()),
      modelId: use.id,
      modelVersion: use.version,
      speechS: round(speechS, 3),
      snrDb: snrDb === null ? null : round(snrDb, 1),
    });
  }
  return out;
}

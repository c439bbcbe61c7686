/**
 * Enrollment from a speaker of a stored call ("remember this voice" after the fact).
 *
 * The store keeps no speaker embeddings with calls (embeddings of people who never consented are
 * biometric data the app has no reason to keep) and no raw audio unless the user opted in
 * (`calls.audio_path`). So the speaker's speech is read again from the call's audio: the opted-in
 * copy when there is one, else the analysed source file (`file:<path>`) if it is still there and
 * still has the call's duration. The speaker's stored turns (without overlap, longest first, up
 * to {@link CALL_ENROLL_BUDGET_S}) are decoded and embedded with the encoder in use.
 */
import { existsSync } from 'node:fs';

import { MIN_ENROLL_SPEECH_S } from '../../src-shared/contracts/voiceprints.ts';
import { FB_DIM, FBANK_FRAMES_PER_S } from '../engine/audio/fbank.ts';
import { AudioInputError, probeAudio } from '../engine/audio/ffmpeg.ts';
import type { EmbeddingBackend } from '../engine/diarization/embedding.ts';
import { collectSpeakerFeatures, selectEvidenceSpans } from '../engine/pipeline/speaker-evidence.ts';
import { getCall } from '../store/calls.ts';
import { type Db, StoreError } from '../store/db.ts';
import { NotEnoughSpeechError, type SpeechEmbedding } from '../engine/voiceprints/speech-embedding.ts';
import { round } from '../../src-shared/math.ts';

/** Seconds of a speaker's clean speech used at most for an enrollment from a call. */
export const CALL_ENROLL_BUDGET_S = 120;

/** Largest difference between the stored call duration and the file's, seconds. */
const DURATION_TOLERANCE_S = 1;

/** The audio a stored call can be re-read from: the opted-in copy, else the source file. */
export async function callAudioFile(db: Db, callId: number): Promise<string> {
  const row = db.prepare('SELECT source, audio_path, duration_s FROM calls WHERE id = ?').get(callId) as
    { source: string; audio_path: string | null; duration_s: number } | undefined;
  if (!row) throw new StoreError('not_found', `no call with id ${callId}`);
  const candidates = [row.audio_path, row.source.startsWith('file:') ? row.source.slice(5) : null].filter(
    (p): p is string => !!p,
  );
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    const { durationS } = await probeAudio(p);
    if (durationS === null || Math.abs(durationS - row.duration_s) <= DURATION_TOLERANCE_S) return p;
  }
  const where = candidates.length
    ? `its audio (${candidates.join(', ')}) is no longer there or has changed`
    : `it was ${row.source === 'live' ? 'a live call' : `analysed from ${row.source}`} and no audio was kept`;
  throw new StoreError(
    'invalid',
    `cannot enroll from call ${callId}: the store keeps no voice embeddings of call speakers, and ${where}; ` +
      'enroll from a recording instead (voiceprints enroll --name … --consent … FILE --from S --to S)',
  );
}

/**
 * Embeds one speaker of a stored call from the call's audio, with each encoder given (the
 * voiceprint encoder first; an encoder needing more frames than there are is left out).
 * @param speakerKey the speaker's id in the call (`S1`, `You`, …; as `history show` prints).
 * @param minSpeechS refuse below this much clean speech (default {@link MIN_ENROLL_SPEECH_S}).
 * @throws StoreError `not_found` (call or speaker), `invalid` (no audio to re-read);
 *   NotEnoughSpeechError; AudioInputError.
 */
export async function embedCallSpeaker(
  db: Db,
  callId: number,
  speakerKey: string,
  embedders: EmbeddingBackend[],
  minSpeechS = MIN_ENROLL_SPEECH_S,
): Promise<(SpeechEmbedding & { source: string })[]> {
  if (!embedders.length) throw new Error('embedCallSpeaker needs at least one encoder');
  const { result } = getCall(db, callId);
  const speaker = result.speakers.find((s) => s.id === speakerKey);
  if (!speaker)
    throw new StoreError(
      'not_found',
      `call ${callId} has no speaker ${speakerKey}; its speakers are ${result.speakers.map((s) => s.id).join(', ') || 'none'}`,
    );
  const file = await callAudioFile(db, callId);
  const probe = await probeAudio(file);
  const spans = selectEvidenceSpans(
    result.turns, // all speakers' turns: overlapped speech is left out
    result.channels,
    { budgetS: CALL_ENROLL_BUDGET_S, trimS: 0.1, minTurnS: 0.5 },
  ).filter((s) => s.speakerId === speakerKey);
  const feats = (await collectSpeakerFeatures(file, probe, result.channels, spans)).get(speakerKey);
  const speechS = feats?.seconds ?? 0;
  const first = embedders[0];
  if (!feats || speechS < minSpeechS || feats.feats.length / FB_DIM < first.minFrames)
    throw new NotEnoughSpeechError(speechS, Math.max(minSpeechS, first.minFrames / FBANK_FRAMES_PER_S));
  if (!feats.feats.every(Number.isFinite)) throw new AudioInputError(file, 'decoded audio is not finite');
  const q = result.quality.find((x) => x.channel === speaker.channel);
  const x = Float32Array.from(feats.feats);
  const out: (SpeechEmbedding & { source: string })[] = [];
  for (const e of embedders) {
    if (x.length / FB_DIM < e.minFrames) continue;
    out.push({
      vector: await e.embed(x.slice()), // a copy each: an ONNX encoder normalises its input in place
      modelId: e.use.id,
      modelVersion: e.use.version,
      speechS: round(speechS, 3),
      snrDb: q?.snrDb ?? null,
      source: `call:${callId}/${speakerKey}`,
    });
  }
  return out;
}

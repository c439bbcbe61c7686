/**
 * Labels the speakers of an analysis result from the voiceprint library and saves the call:
 * the glue between the engine (`analyzeFile`, embeddings via `speakerEmbeddingsOf`, scoring in
 * `engine/voiceprints/`) and the store (voiceprints and calls in SQLite). Engine and store never
 * import each other; this service layer joins them.
 */
import type { AnalysisResult, ModelUse } from '../../src-shared/contracts/analysis.ts';
import type { Identification, Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import type { SpeakerEmbeddingSet } from '../engine/index.ts';
import { saveCall } from '../store/calls.ts';
import type { Db } from '../store/db.ts';
import {
  identifySpeakers,
  linksOf,
  type OperatingPoint,
  operatingPointFor,
  VoiceprintIndex,
} from '../engine/voiceprints/identify.ts';
import { reenrollmentNeed } from '../engine/voiceprints/models.ts';
import { embeddingsOfModel, listVoiceprints } from '../store/voiceprints.ts';

/**
 * The in-memory index of the library's voiceprints for one encoder model id+version (with the
 * encoder's shipped cohort, if any; engine/voiceprints/score-norm.ts).
 */
export function loadVoiceprintIndex(db: Db, modelId: string, modelVersion: string): VoiceprintIndex {
  return VoiceprintIndex.fromEmbeddings(modelId, modelVersion, embeddingsOfModel(db, modelId, modelVersion));
}

/**
 * Speech (seconds) below which a speaker has no lane or card in the app (it rounds to 0:00; the
 * renderer's `MIN_SHOWN_TALK_S`); such speakers are numbered last.
 */
export const MIN_SHOWN_SPEECH_S = 0.5;

/**
 * Identifies every speaker with an embedding and sets each speaker's `label` in `result` by the
 * one labelling rule the file, live and history views share (live-session.ts does the same):
 * - the mic speaker `you` is the local user by definition: `You`, or `You (Name)` when the
 *   library recognises the voice (never `Unknown N`);
 * - a recognised remote speaker gets the voiceprint's name, an ambiguous one `A or B?`;
 * - the other remote speakers are `Unknown 1..N` numbered in order of first appearance (the order
 *   of `result.speakers`, which the engine builds by first speech), not in identification order;
 *   speakers with less than {@link MIN_SHOWN_SPEECH_S} of speech (no lane or card in the UI) are
 *   numbered after the others, so the numbers a user sees run 1, 2, 3 without gaps.
 * Speakers without an embedding (too little clean speech) are `unknown`. Scores are
 * AS-normalised and calibrated where a cohort and a calibration ship for the encoder id+version
 * (engine/voiceprints/). When the library holds voiceprints but none of this encoder, every
 * identification says so (`reason`) instead of showing an empty similarity.
 * @param embeddings speaker id → embedding (from `speakerEmbeddingSetsOf(result)[0]`).
 * @param encoder the embedding model that produced them.
 */
export function labelResult(
  db: Db,
  result: AnalysisResult,
  embeddings: Map<string, Float32Array>,
  encoder: Pick<ModelUse, 'id' | 'version'>,
  op: OperatingPoint = operatingPointFor(encoder.id, encoder.version),
): Map<string, Identification> {
  const index = loadVoiceprintIndex(db, encoder.id, encoder.version);
  const queries = new Map<string, Float32Array>();
  for (const s of result.speakers) {
    const e = embeddings.get(s.id);
    if (e) queries.set(s.id, e);
  }
  const found = identifySpeakers(index, queries, op);
  const stale = index.size ? [] : listVoiceprints(db).filter((v) => reenrollmentNeed(v, encoder));
  let unknown = 0;
  const out = new Map<string, Identification>();
  const shown = result.speakers.filter((s) => s.speechS >= MIN_SHOWN_SPEECH_S);
  const hidden = result.speakers.filter((s) => s.speechS < MIN_SHOWN_SPEECH_S);
  for (const s of [...shown, ...hidden]) {
    const id: Identification = found.get(s.id) ?? {
      status: 'unknown' as const,
      label: '',
      best: null,
      runnerUp: null,
      threshold: op.threshold,
      scoring: op.scoring ?? 'cosine',
      modelId: encoder.id,
      reason: 'too little clean (non-overlapped) speech of this speaker to compare voices',
    };
    if (!id.best && stale.length)
      id.reason =
        `none of the ${stale.length} voiceprint(s) of the library holds a ${encoder.id} ${encoder.version} ` +
        `embedding (${stale.map((v) => v.name).join(', ')}): they need re-enrollment (voiceprints list)`;
    if (s.id === 'you') id.label = id.status === 'unknown' ? 'You' : `You (${id.label})`;
    else if (id.status === 'unknown') id.label = `Unknown ${++unknown}`;
    out.set(s.id, id);
    s.label = id.label;
  }
  return out;
}

/**
 * The library's voiceprints with `needsReenrollment` set for those that hold no embedding of the
 * identifying encoder (engine/voiceprints/models.ts).
 */
export function voiceprintsWithStatus(db: Db, encoder: Pick<ModelUse, 'id' | 'version'>): Voiceprint[] {
  return listVoiceprints(db).map((v) => ({ ...v, needsReenrollment: reenrollmentNeed(v, encoder) }));
}

/**
 * Identifies, labels and saves a freshly analysed call with the voiceprint encoder's embeddings
 * (the first set of `speakerEmbeddingSetsOf(result)`).
 * @returns the call id and the identifications.
 * @throws Error when no embedding set is given.
 */
export function saveLabelledCall(
  db: Db,
  result: AnalysisResult,
  sets: SpeakerEmbeddingSet[],
  source: string,
): { callId: number; ids: Map<string, Identification> } {
  if (!sets.length) throw new Error('the analysis produced no speaker embeddings to identify with');
  const ids = labelResult(db, result, sets[0].embeddings, sets[0].use);
  return { callId: saveCall(db, result, { source, links: linksOf(ids) }), ids };
}

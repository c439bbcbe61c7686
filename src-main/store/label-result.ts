/**
 * Labels the speakers of an analysis result from the voiceprint library and saves the call:
 * the glue between `analyzeFile` (embeddings via `speakerEmbeddingsOf`) and the store.
 */
import type { AnalysisResult, ModelUse } from '../../src-shared/contracts/analysis.ts';
import type { Identification } from '../../src-shared/contracts/voiceprints.ts';
import type { SpeakerLink } from './calls.ts';
import { saveCall } from './calls.ts';
import type { Db } from './db.ts';
import { identifySpeakers, type OperatingPoint, operatingPointFor, VoiceprintIndex } from './identify.ts';

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
 * Speakers without an embedding (too little clean speech) are `unknown`. Scores are AS-normalised
 * where a cohort ships for the encoder id+version (identify.ts, score-norm.ts).
 * @param embeddings speaker id → embedding (from `speakerEmbeddingsOf(result)`).
 * @param encoder the embedding model that produced them (from `result.models`).
 * @returns speaker id → identification, whose `label` equals the label set on the speaker.
 */
export function labelResult(
  db: Db,
  result: AnalysisResult,
  embeddings: Map<string, Float32Array>,
  encoder: Pick<ModelUse, 'id' | 'version'>,
  op: OperatingPoint = operatingPointFor(encoder.id, encoder.version),
): Map<string, Identification> {
  const index = VoiceprintIndex.load(db, encoder.id, encoder.version);
  const queries = new Map<string, Float32Array>();
  for (const s of result.speakers) {
    const e = embeddings.get(s.id);
    if (e) queries.set(s.id, e);
  }
  const found = identifySpeakers(index, queries, op);
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
    };
    if (s.id === 'you') id.label = id.status === 'unknown' ? 'You' : `You (${id.label})`;
    else if (id.status === 'unknown') id.label = `Unknown ${++unknown}`;
    out.set(s.id, id);
    s.label = id.label;
  }
  return out;
}

/** Speaker links to store with a call: known speakers link to their voiceprint. */
export function linksOf(ids: Map<string, Identification>): Map<string, SpeakerLink> {
  const links = new Map<string, SpeakerLink>();
  for (const [sid, id] of ids) {
    links.set(sid, {
      voiceprintId: id.status === 'known' ? id.best!.voiceprintId : null,
      status: id.status,
      // a known speaker's name is resolved at read time; the stored label is the fallback shown
      // if the voiceprint is deleted, so it must not repeat the name
      label: sid === 'you' ? 'You' : id.status === 'known' ? 'Unknown' : id.label,
      similarity: id.best?.similarity ?? null,
    });
  }
  return links;
}

/** The embedding model of a result. @throws Error when the result records none. */
export function encoderOf(result: AnalysisResult): ModelUse {
  const m = result.models.find((x) => x.role === 'embedding');
  if (!m) throw new Error('the analysis result names no embedding model');
  return m;
}

/** Identifies, labels and saves a freshly analysed call. @returns the call id. */
export function saveLabelledCall(
  db: Db,
  result: AnalysisResult,
  embeddings: Map<string, Float32Array>,
  source: string,
): { callId: number; ids: Map<string, Identification> } {
  const ids = labelResult(db, result, embeddings, encoderOf(result));
  return { callId: saveCall(db, result, { source, links: linksOf(ids) }), ids };
}

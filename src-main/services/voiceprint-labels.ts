/**
 * Labels the speakers of an analysis result from the voiceprint library and saves the call:
 * the glue between the engine (`analyzeFile`, embeddings via `speakerEmbeddingsOf`, scoring in
 * `engine/voiceprints/`) and the store (voiceprints and calls in SQLite). Engine and store never
 * import each other; this service layer joins them.
 */
import type { AnalysisResult, ModelUse } from '../../src-shared/contracts/analysis.ts';
import type { Identification } from '../../src-shared/contracts/voiceprints.ts';
import { saveCall } from '../store/calls.ts';
import type { Db } from '../store/db.ts';
import {
  identifySpeakers,
  linksOf,
  type OperatingPoint,
  operatingPointFor,
  VoiceprintIndex,
} from '../engine/voiceprints/identify.ts';
import { embeddingsOfModel } from '../store/voiceprints.ts';

/**
 * The in-memory index of the library's voiceprints for one encoder model id+version (with the
 * encoder's shipped cohort, if any; engine/voiceprints/score-norm.ts).
 */
export function loadVoiceprintIndex(db: Db, modelId: string, modelVersion: string): VoiceprintIndex {
  return VoiceprintIndex.fromEmbeddings(modelId, modelVersion, embeddingsOfModel(db, modelId, modelVersion));
}

/**
 * Identifies every speaker with an embedding (speakers without one stay `Unknown N`), and sets
 * each speaker's `label` in `result` to the name / `A or B?` / `Unknown N`. Scores are
 * AS-normalised where a cohort ships for the encoder id+version (identify.ts, score-norm.ts).
 * @param embeddings speaker id → embedding (from `speakerEmbeddingsOf(result)`).
 * @param encoder the embedding model that produced them (from `result.models`).
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
  let unknown = [...found.values()].filter((i) => i.status === 'unknown').length;
  const out = new Map<string, Identification>();
  for (const s of result.speakers) {
    const id = found.get(s.id) ?? {
      status: 'unknown' as const,
      label: `Unknown ${++unknown}`,
      best: null,
      runnerUp: null,
      threshold: op.threshold,
      scoring: op.scoring ?? 'cosine',
      modelId: encoder.id,
    };
    out.set(s.id, id);
    s.label = id.label;
  }
  return out;
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

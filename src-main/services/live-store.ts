/**
 * The history store of live sessions: joins the engine's {@link LiveStore} interface (call sink
 * and voiceprint index) to the SQLite store (`store/live-calls.ts`, `store/voiceprints.ts`).
 */
import type { LiveStore } from '../engine/pipeline/live-session.ts';
import type { Db } from '../store/db.ts';
import { LiveCallWriter } from '../store/live-calls.ts';
import { loadVoiceprintIndex } from './voiceprint-labels.ts';

/** A live session's store backed by one SQLite database. */
export function liveStoreOf(db: Db): LiveStore {
  return {
    openCall: (title, models, provider) => new LiveCallWriter(db, title, models, provider),
    voiceprints: (modelId, modelVersion) => loadVoiceprintIndex(db, modelId, modelVersion),
  };
}

/**
 * Which embedding models voiceprints use. Identification and enrollment use one encoder, the
 * voiceprint model: `CALLSCOPE_VOICEPRINT_MODEL` when set, else the manifest's
 * `roles.embedding.voiceprint` (when its file is absent from every model folder: the first
 * available embedding model of the manifest that ships a calibration, `models/<id>.calibration.json`,
 * i.e. encoder v1 when v2's file is missing), else the embedding role's model (the one
 * diarization uses).
 * Enrollment stores an embedding of every available embedding model (so changing the voiceprint
 * model never silently empties a library: voiceprints that lack the new model's embedding are
 * listed as needing re-enrollment instead). Model ids live in models/manifest.json only.
 */
import { existsSync } from 'node:fs';

import type { ModelUse, ProviderSettings } from '../../../src-shared/contracts/analysis.ts';
import type { Voiceprint } from '../../../src-shared/contracts/voiceprints.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../diarization/embedding.ts';
import { activeModelId, candidatePaths, loadManifest, ModelNotFoundError } from '../inference/registry.ts';
import { shippedCalibration } from './calibration.ts';

/** Environment variable that overrides the voiceprint model id (tests, benchmarks). */
export const VOICEPRINT_MODEL_ENV = 'CALLSCOPE_VOICEPRINT_MODEL';

/**
 * The embedding model id voiceprints are enrolled and identified with (see the module comment).
 * @throws ModelNotFoundError when the id chosen is not an embedding model of the manifest.
 */
export function voiceprintModelId(): string {
  const m = loadManifest();
  const id =
    process.env[VOICEPRINT_MODEL_ENV] ||
    withFallback(m.roles.embedding?.voiceprint) ||
    activeModelId('embedding') ||
    'fbank-stats';
  const entry = m.models.find((x) => x.id === id);
  if (!entry || entry.role !== 'embedding')
    throw new ModelNotFoundError(
      `voiceprint model "${id}" (${process.env[VOICEPRINT_MODEL_ENV] ? VOICEPRINT_MODEL_ENV : 'models/manifest.json roles.embedding.voiceprint'}) is not an embedding model of this version`,
    );
  return id;
}

/**
 * The voiceprint model to use for the manifest's choice `id`: `id` when its file is present (in
 * `available`); else the first available embedding model (manifest order) with a shipped
 * calibration for its id+version; else `id` itself (loading it then fails naming the missing file).
 * @param available embedding model ids that can run here (default: {@link availableEmbeddingModelIds}).
 */
export function withFallback(
  id: string | undefined,
  available: string[] = availableEmbeddingModelIds(),
): string | undefined {
  if (!id || available.includes(id)) return id;
  const entries = loadManifest().models;
  return (
    available.find((x) => {
      const e = entries.find((m) => m.id === x);
      return !!e?.file && shippedCalibration(x, e.version) !== null;
    }) ?? id
  );
}

/**
 * Embedding models of the manifest that can run here: model-free ones, and ONNX ones whose file
 * is present in one of the model folders (not verified here; loading verifies the sha256).
 */
export function availableEmbeddingModelIds(): string[] {
  return loadManifest()
    .models.filter((e) => e.role === 'embedding')
    .filter((e) => !e.file || candidatePaths(e.file).some((p) => existsSyncSafe(p)))
    .map((e) => e.id);
}

const existsSyncSafe = (p: string): boolean => {
  try {
    return existsSync(p);
  } catch {
    return false;
  }
};

const enrollmentBackends = new WeakMap<EmbeddingBackend, Promise<EmbeddingBackend[]>>();

/**
 * The encoders an enrollment embeds with: the voiceprint encoder first, the diarization encoder,
 * then every other available embedding model (loaded once per voiceprint encoder instance). A
 * model that fails to load (e.g. a corrupt file) is left out; the voiceprint encoder never is.
 */
export function enrollmentEmbedders(
  models: { embedder: EmbeddingBackend; voiceprintEmbedder: EmbeddingBackend },
  providers?: ProviderSettings,
): Promise<EmbeddingBackend[]> {
  const key = models.voiceprintEmbedder;
  let p = enrollmentBackends.get(key);
  if (!p) {
    p = (async () => {
      const out = [models.voiceprintEmbedder];
      if (models.embedder.use.id !== key.use.id) out.push(models.embedder);
      for (const id of availableEmbeddingModelIds()) {
        if (out.some((b) => b.use.id === id)) continue;
        try {
          out.push(await createEmbeddingBackend(id, providers));
        } catch {
          // an optional model that cannot load is simply not stored; identification never needs it
        }
      }
      return out;
    })();
    enrollmentBackends.set(key, p);
  }
  return p;
}

/** Why a voiceprint cannot be identified with an encoder, or null when it can. */
export interface ReenrollmentNeed {
  modelId: string;
  modelVersion: string;
  reason: string;
}

/**
 * Whether a voiceprint holds an embedding of the identifying encoder (exact id+version): when not,
 * the reason names the models it does hold and what to do.
 */
export function reenrollmentNeed(
  v: Pick<Voiceprint, 'embeddings'>,
  encoder: Pick<ModelUse, 'id' | 'version'>,
): ReenrollmentNeed | null {
  if (v.embeddings.some((e) => e.modelId === encoder.id && e.modelVersion === encoder.version)) return null;
  const held = [...new Set(v.embeddings.map((e) => `${e.modelId} ${e.modelVersion}`))];
  const sameId = v.embeddings.some((e) => e.modelId === encoder.id);
  return {
    modelId: encoder.id,
    modelVersion: encoder.version,
    reason:
      `identification uses ${encoder.id} ${encoder.version}, and this voiceprint only holds ` +
      `${held.length ? held.join(', ') : 'no'} embedding(s)` +
      (sameId ? ' (an older version of that encoder)' : '') +
      '; embeddings of different encoders cannot be compared: enroll this person again',
  };
}

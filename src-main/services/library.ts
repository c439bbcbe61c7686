/**
 * The voiceprint library on the store (src-shared/contracts/services.ts `LibraryService`): list,
 * rename, merge, delete, enrollment from an analysed call or from a file, export and import; and
 * "remember this voice", shared with the live service.
 */
import { rm } from 'node:fs/promises';

import { type LibraryService, SERVICE } from '../../src-shared/contracts/services.ts';
import { MIN_ENROLL_SPEECH_S, type Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { enrollmentEmbedders } from '../engine/voiceprints/models.ts';
import { embedSpeechWith, NotEnoughSpeechError } from '../engine/voiceprints/speech-embedding.ts';
import { getCall } from '../store/calls.ts';
import { exportLibrary, importLibrary } from '../store/exchange.ts';
import {
  createVoiceprint,
  deleteVoiceprint,
  getVoiceprint,
  listVoiceprints,
  mergeVoiceprints,
  renameVoiceprint,
} from '../store/voiceprints.ts';
import type { AnalysisQueue } from './analysis.ts';
import { type EngineServiceDeps, fileRefName, resolveFileRef, withFileName } from './deps.ts';
import { voiceprintsWithStatus } from './voiceprint-labels.ts';
import { AppError, errorCodeOf } from '../../src-shared/errors.ts';

/** Tells every UI that the voiceprint library changed (the Library view refetches). */
export function libraryChanged(deps: EngineServiceDeps): void {
  deps.emit(SERVICE.library, 'changed', { count: listVoiceprints(deps.db).length });
}

/**
 * "Remember this voice": keeps one speaker embedding of the encoder in use as a new voiceprint
 * with the consent given, and tells the UIs. Shared by enrollment from an analysed call and from
 * a live session.
 * @throws Error with code `not_enough_speech` below {@link MIN_ENROLL_SPEECH_S} seconds of the
 *   speaker's speech (the same rule as enrollment from files).
 */
export function rememberEmbedding(
  deps: EngineServiceDeps,
  who: { name: string; consent: string },
  e: {
    /** One embedding per encoder that ran (the voiceprint encoder's among them). */
    vectors: { modelId: string; modelVersion: string; vector: Float32Array }[];
    source: string;
    speechS: number;
    snrDb: number | null;
  },
): Voiceprint {
  if (e.speechS < MIN_ENROLL_SPEECH_S)
    throw new AppError(
      'not_enough_speech',
      `only ${e.speechS.toFixed(1)} s of clear speech from this speaker; at least ${MIN_ENROLL_SPEECH_S} s are needed to remember a voice reliably`,
    );
  const enc = deps.models.get().voiceprintEmbedder.use;
  if (!e.vectors.some((v) => v.modelId === enc.id && v.modelVersion === enc.version))
    throw new AppError(
      'not_enough_speech',
      `no ${enc.id} embedding of this speaker (too little clear speech for the voiceprint encoder)`,
    );
  const { vectors, ...rest } = e;
  const id = createVoiceprint(
    deps.db,
    { name: who.name, consentHow: who.consent },
    vectors.map((v) => ({ ...rest, ...v })),
  );
  libraryChanged(deps);
  return getVoiceprint(deps.db, id);
}

/** The voiceprint library on the store. */
export class Library implements LibraryService {
  constructor(
    private readonly deps: EngineServiceDeps,
    private readonly queue: AnalysisQueue,
  ) {}

  private changed(): void {
    libraryChanged(this.deps);
  }

  async list(): Promise<Voiceprint[]> {
    return voiceprintsWithStatus(this.deps.db, this.deps.models.get().voiceprintEmbedder.use);
  }
  async rename(id: number, name: string): Promise<Voiceprint> {
    const v = renameVoiceprint(this.deps.db, id, name);
    this.changed();
    return v;
  }
  async merge(keepId: number, goneId: number): Promise<Voiceprint> {
    const v = mergeVoiceprints(this.deps.db, keepId, goneId);
    this.changed();
    return v;
  }
  async delete(id: number): Promise<void> {
    deleteVoiceprint(this.deps.db, id);
    this.changed();
  }
  async enrollFromCall(req: {
    callId: number;
    speakerId: string;
    name: string;
    consent: string;
  }): Promise<Voiceprint> {
    const call = getCall(this.deps.db, req.callId);
    const speaker = call.result.speakers.find((s) => s.id === req.speakerId);
    const vectors = (this.queue.embeddingsByCall.get(req.callId) ?? []).flatMap((set) => {
      const vector = set.embeddings.get(req.speakerId);
      return vector ? [{ modelId: set.use.id, modelVersion: set.use.version, vector }] : [];
    });
    if (!speaker || !vectors.length) {
      throw new AppError(
        'not_found',
        `no voice embedding for speaker ${req.speakerId} of call ${req.callId}; analyse the recording again to enroll from it`,
      );
    }
    const snr = call.result.quality.find((q) => q.channel === speaker.channel)?.snrDb ?? null;
    return rememberEmbedding(this.deps, req, {
      vectors,
      source: `call:${req.callId}/${req.speakerId}`,
      speechS: speaker.speechS,
      snrDb: snr,
    });
  }
  async enrollFromFile(req: Parameters<LibraryService['enrollFromFile']>[0]): Promise<Voiceprint> {
    const path = resolveFileRef(req.file, this.deps);
    const name = fileRefName(req.file);
    const models = this.deps.models.get();
    const encoders = await enrollmentEmbedders(models);
    const es = await embedSpeechWith([path], models.vadModel, encoders).catch(async (err: unknown) => {
      if (req.file.kind === 'upload') await rm(path, { force: true });
      // the GUI's words: the file's own name, and no command-line options in the advice
      const msg =
        err instanceof NotEnoughSpeechError
          ? `${name}: only ${err.speechS.toFixed(1)} s of clear speech, at least ${err.requiredS} s are needed to remember a voice; choose a longer recording of this one speaker`
          : withFileName(err instanceof Error ? err.message : String(err), path, name);
      throw new AppError(errorCodeOf(err) ?? 'enroll_failed', msg, { cause: err });
    });
    const label = req.file.kind === 'upload' ? `upload:${req.file.name}` : `file:${path}`;
    const id = createVoiceprint(
      this.deps.db,
      { name: req.name, notes: req.notes ?? '', consentHow: req.consent },
      es.map((e) => ({ ...e, source: label })),
    );
    if (req.file.kind === 'upload') await rm(path, { force: true });
    this.changed();
    return getVoiceprint(this.deps.db, id);
  }
  async exportLibrary(): Promise<string> {
    return JSON.stringify(exportLibrary(this.deps.db), null, 2) + '\n';
  }
  async importLibrary(text: string): Promise<number> {
    const enc = this.deps.models.get().embedder.use;
    const n = importLibrary(this.deps.db, text, { id: enc.id, version: enc.version });
    this.changed();
    return n;
  }
}

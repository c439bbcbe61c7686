/**
 * Export and import of the voiceprint library as a versioned JSON file
 * ({@link VoiceprintExportFile}: names, notes, consent, embeddings as base64 float32 LE with their
 * encoder model id+version). Import validates the whole file first (zod) and inserts everything in
 * one transaction: a malformed file, or embeddings of another encoder than the library's, change
 * nothing.
 */
import { z } from 'zod';

import {
  VOICEPRINT_EXPORT_VERSION,
  type VoiceprintExportFile,
} from '../../src-shared/contracts/voiceprints.ts';
import { type Db, nowIso, StoreError } from './db.ts';
import { allEmbeddings, createVoiceprint, listVoiceprints, vectorToBlob } from './voiceprints.ts';

const Embedding = z.object({
  modelId: z.string().min(1),
  modelVersion: z.string().min(1),
  dim: z.number().int().positive(),
  source: z.string(),
  speechS: z.number().nonnegative(),
  snrDb: z.number().nullable(),
  createdAt: z.string(),
  vector: z.string().min(1),
});

const ExportFile = z.object({
  format: z.literal('callscope-voiceprints'),
  version: z.number().int(),
  exportedAt: z.string(),
  voiceprints: z.array(
    z.object({
      name: z.string().min(1),
      notes: z.string(),
      consent: z.object({ givenAt: z.string().min(1), how: z.string().min(1) }),
      createdAt: z.string(),
      updatedAt: z.string(),
      embeddings: z.array(Embedding).min(1),
    }),
  ),
});

/** The whole library as an export file. */
export function exportLibrary(db: Db): VoiceprintExportFile {
  const embs = allEmbeddings(db);
  return {
    format: 'callscope-voiceprints',
    version: VOICEPRINT_EXPORT_VERSION,
    exportedAt: nowIso(),
    voiceprints: listVoiceprints(db).map((v) => ({
      name: v.name,
      notes: v.notes,
      consent: v.consent,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      embeddings: embs
        .filter((e) => e.voiceprintId === v.id)
        .map((e) => ({
          modelId: e.modelId,
          modelVersion: e.modelVersion,
          dim: e.dim,
          source: e.source,
          speechS: e.speechS,
          snrDb: e.snrDb,
          createdAt: e.createdAt,
          vector: vectorToBlob(e.vector).toString('base64'),
        })),
    })),
  };
}

function decodeVector(b64: string, dim: number, where: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== dim * 4)
    throw new StoreError(
      'invalid',
      `${where}: damaged voiceprint data (the vector holds ${buf.length} bytes, ${dim} numbers need ${dim * 4}); ` +
        'the export file was edited or cut; nothing was imported (export it again from the original library)',
    );
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = buf.readFloatLE(4 * i);
  if (!v.every(Number.isFinite)) throw new StoreError('invalid', `${where}: vector holds non-finite values`);
  return v;
}

/**
 * Imports an export file's text into the library (new voiceprints; existing ones are untouched).
 * @param expectModel the library's encoder (model id + version); embeddings of another encoder are
 *   refused, since they cannot be compared with this library's voices.
 * @returns number of voiceprints imported.
 * @throws StoreError `invalid` with the reason; nothing is written then.
 */
export function importLibrary(db: Db, text: string, expectModel: { id: string; version: string }): number {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreError('invalid', `not a voiceprint export (invalid JSON: ${(err as Error).message})`);
  }
  const parsed = ExportFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError(
      'invalid',
      `not a valid voiceprint export: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const file = parsed.data;
  if (file.version > VOICEPRINT_EXPORT_VERSION)
    throw new StoreError(
      'invalid',
      `export format version ${file.version} is newer than this Callscope reads (${VOICEPRINT_EXPORT_VERSION})`,
    );
  const prepared = file.voiceprints.map((v, i) => {
    const embeddings = v.embeddings.map((e, j) => {
      const where = `voiceprints[${i}] "${v.name}" embedding ${j}`;
      if (e.modelId !== expectModel.id || e.modelVersion !== expectModel.version) {
        throw new StoreError(
          'invalid',
          `${where} was made with encoder ${e.modelId} ${e.modelVersion}, this library uses ${expectModel.id} ${expectModel.version}: ` +
            'embeddings of different encoders cannot be compared; nothing was imported (re-enroll, or import with --embedding ' +
            `${e.modelId})`,
        );
      }
      return { ...e, vector: decodeVector(e.vector, e.dim, where) };
    });
    return { v, embeddings };
  });
  db.transaction(() => {
    for (const { v, embeddings } of prepared) {
      createVoiceprint(
        db,
        {
          name: v.name,
          notes: v.notes,
          consentHow: v.consent.how,
          consentGivenAt: v.consent.givenAt,
          createdAt: v.createdAt,
          updatedAt: v.updatedAt,
        },
        embeddings,
      );
    }
  })();
  return prepared.length;
}

/**
 * Export and import of the voiceprint library as a versioned JSON file
 * ({@link VoiceprintExportFile}: names, notes, consent, embeddings as base64 float32 LE with their
 * encoder model id+version, and each voiceprint's stable `uid`). Import validates the whole file
 * first (zod) and inserts everything in one transaction: a malformed file, a file with no embedding
 * of the library's encoder, or a name clash, change nothing; voiceprints already present (same
 * uid) are not duplicated.
 */
import { z } from 'zod';

import {
  VOICEPRINT_EXPORT_VERSION,
  type VoiceprintExportFile,
} from '../../src-shared/contracts/voiceprints.ts';
import { type Db, nowIso, StoreError } from './db.ts';
import {
  addEmbeddings,
  allEmbeddings,
  createVoiceprint,
  listVoiceprints,
  vectorToBlob,
  voiceprintIdByName,
  voiceprintUid,
} from './voiceprints.ts';

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
      uid: z.string().min(1).max(200).optional(),
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
      uid: v.uid,
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
    throw new StoreError('invalid', `${where}: vector has ${buf.length / 4} values, dim says ${dim}`);
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = buf.readFloatLE(4 * i);
  if (!v.every(Number.isFinite)) throw new StoreError('invalid', `${where}: vector holds non-finite values`);
  return v;
}

/**
 * Imports an export file's text into the library. Voiceprints are matched by their stable id
 * (`uid`; for files of older versions a content id, voiceprints.ts `voiceprintUid`): one already
 * in the library gets only the embeddings it lacks, so importing a file twice adds nothing. A new
 * voiceprint whose name another voiceprint has is refused (nothing is written), or with
 * `opts.merge` its embeddings go to that voiceprint.
 * @param expectModel the library's voiceprint encoder (model id + version). Embeddings of every
 *   encoder are kept (a voiceprint without one of `expectModel` is listed as needing
 *   re-enrollment), but a file with no embedding of `expectModel` at all is refused: nothing in
 *   it could be identified.
 * @returns number of voiceprints added (new ones; not those already present or merged).
 * @throws StoreError `invalid` with the reason; nothing is written then.
 */
export function importLibrary(
  db: Db,
  text: string,
  expectModel: { id: string; version: string },
  opts: { merge?: boolean } = {},
): number {
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
      return { ...e, vector: decodeVector(e.vector, e.dim, where) };
    });
    const uid = voiceprintUid({
      uid: v.uid,
      name: v.name,
      createdAt: v.createdAt,
      consentGivenAt: v.consent.givenAt,
    });
    return { v, uid, embeddings };
  });
  const usable = prepared.some(({ embeddings }) =>
    embeddings.some((e) => e.modelId === expectModel.id && e.modelVersion === expectModel.version),
  );
  if (prepared.length && !usable) {
    const held = [
      ...new Set(prepared.flatMap((p) => p.embeddings.map((e) => `${e.modelId} ${e.modelVersion}`))),
    ];
    throw new StoreError(
      'invalid',
      `the export holds embeddings of ${held.join(', ')} only, this library identifies with ${expectModel.id} ${expectModel.version}: ` +
        'embeddings of different encoders cannot be compared; nothing was imported (re-enroll, or import with --embedding ' +
        `${prepared[0].embeddings[0].modelId})`,
    );
  }
  let added = 0;
  db.transaction(() => {
    const byUid = new Map(listVoiceprints(db).map((x) => [x.uid, x.id]));
    const seen = new Set<string>();
    for (const { v, uid, embeddings } of prepared) {
      if (seen.has(uid)) continue; // the same voiceprint twice in one file
      seen.add(uid);
      const existing = byUid.get(uid) ?? null;
      if (existing !== null) {
        addEmbeddings(db, existing, embeddings);
        continue;
      }
      const sameName = voiceprintIdByName(db, v.name);
      if (sameName !== null) {
        if (!opts.merge)
          throw new StoreError(
            'invalid',
            `the library already has a voiceprint named "${v.name}" (id ${sameName}) that is not the one in the export; ` +
              'nothing was imported (rename one of them first, or import with --merge to add its embeddings to it)',
          );
        addEmbeddings(db, sameName, embeddings);
        continue;
      }
      createVoiceprint(
        db,
        {
          uid,
          name: v.name,
          notes: v.notes,
          consentHow: v.consent.how,
          consentGivenAt: v.consent.givenAt,
          createdAt: v.createdAt,
          updatedAt: v.updatedAt,
        },
        embeddings,
      );
      added++;
    }
  })();
  return added;
}

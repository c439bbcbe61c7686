/**
 * Export and import of the voiceprint library as a versioned JSON file
 * ({@link VoiceprintExportFile}: names, notes, consent, embeddings as base64 float32 LE with their
 * encoder model id+version, and each voiceprint's stable `uid`). Import validates the whole file
 * first (zod) and inserts everything in one transaction: a malformed file, a file with no embedding
 * of the library's encoder, or a name clash, change nothing; voiceprints already present (same
 * uid) are not duplicated.
 *
 * An import file is untrusted input (issue 12, finding 8): its size, the number of voiceprints and
 * embeddings, every string's length, the vector dimension (one per file, equal to the library's
 * for that encoder, at most {@link MAX_IMPORT_DIM}) and every vector value (finite) are bounded
 * before anything is written; names are stored as SQL parameters, never as SQL.
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

/**
 * Largest import file, characters (32 M: 10 000 voiceprints with one 512-dim embedding each are
 * about 30 MB). The web host's WebSocket message limit is set just above it.
 */
export const MAX_IMPORT_CHARS = 32_000_000;
/** Most voiceprints in one import file. */
export const MAX_IMPORT_VOICEPRINTS = 10_000;
/** Most embeddings of one voiceprint in an import file. */
export const MAX_IMPORT_EMBEDDINGS = 1_000;
/** Largest embedding dimension accepted (the encoders in use have 192–512). */
export const MAX_IMPORT_DIM = 4096;

const iso = z.string().max(40);
const num = z.number().refine(Number.isFinite, 'not a finite number');

const Embedding = z.object({
  modelId: z.string().min(1).max(100),
  modelVersion: z.string().min(1).max(100),
  dim: z.number().int().positive().max(MAX_IMPORT_DIM),
  source: z.string().max(1000),
  speechS: num.pipe(z.number().nonnegative()),
  snrDb: num.nullable(),
  createdAt: iso,
  // base64 of dim float32 values: 4·dim bytes → at most ⌈4·dim/3⌉·4 characters
  vector: z
    .string()
    .min(1)
    .max(Math.ceil((MAX_IMPORT_DIM * 4) / 3) * 4),
});

const ExportFile = z.object({
  format: z.literal('callscope-voiceprints'),
  version: z.number().int(),
  exportedAt: iso,
  voiceprints: z
    .array(
      z.object({
        // the same bounds as enrollment and rename (src-shared/contracts/services.ts)
        uid: z.string().min(1).max(200).optional(),
        name: z.string().trim().min(1).max(200),
        notes: z.string().max(2000),
        consent: z.object({ givenAt: iso.min(1), how: z.string().trim().min(1).max(1000) }),
        createdAt: iso,
        updatedAt: iso,
        embeddings: z.array(Embedding).min(1).max(MAX_IMPORT_EMBEDDINGS),
      }),
    )
    .max(MAX_IMPORT_VOICEPRINTS),
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
  if (text.length > MAX_IMPORT_CHARS)
    throw new StoreError(
      'invalid',
      `voiceprint export too large (${text.length} characters, at most ${MAX_IMPORT_CHARS}); nothing was imported`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreError('invalid', `not a voiceprint export (invalid JSON: ${(err as Error).message})`);
  }
  // count before validating each entry: a file of a million tiny entries is refused at once
  const list = (raw as { voiceprints?: unknown } | null)?.voiceprints;
  if (Array.isArray(list) && list.length > MAX_IMPORT_VOICEPRINTS)
    throw new StoreError(
      'invalid',
      `voiceprint export has ${list.length} voiceprints, at most ${MAX_IMPORT_VOICEPRINTS} are imported at once; nothing was imported`,
    );
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
  // one dimension per encoder: the one already in the library, else the file's first
  let dim = allEmbeddings(db).find((e) => e.modelId === expectModel.id)?.dim ?? null;
  const prepared = file.voiceprints.map((v, i) => {
    const embeddings = v.embeddings.map((e, j) => {
      const where = `voiceprints[${i}] "${v.name}" embedding ${j}`;
      if (e.modelId === expectModel.id) {
        dim ??= e.dim;
        if (e.dim !== dim)
          throw new StoreError(
            'invalid',
            `${where} has dimension ${e.dim}, the library's ${expectModel.id} embeddings have ${dim}; nothing was imported`,
          );
      }
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

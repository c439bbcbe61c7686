/**
 * Voiceprint library repository. Voiceprints are biometric data: every one records consent (when
 * and how), and deletion is real deletion (`secure_delete = ON` zeroes the freed pages, and the
 * WAL is checkpointed and truncated so no copy of the deleted rows stays in the journal).
 *
 * Embeddings are stored raw (float32 LE BLOB) with the encoder's model id and version, seconds
 * of speech and SNR; they are only ever compared with embeddings of the same model id+version.
 */
import { createHash, randomUUID } from 'node:crypto';

import type { Voiceprint, VoiceprintEmbeddingInfo } from '../../src-shared/contracts/voiceprints.ts';
import { type Db, nowIso, StoreError } from './db.ts';

/** An embedding to store. */
export interface NewEmbedding {
  modelId: string;
  modelVersion: string;
  vector: Float32Array;
  source: string;
  speechS: number;
  snrDb: number | null;
  /** ISO 8601; default now. */
  createdAt?: string;
}

/** A voiceprint to create. */
export interface NewVoiceprint {
  name: string;
  /** Stable id (export/import); default: a new random UUID. */
  uid?: string;
  notes?: string;
  /** How consent was given (required, non-empty). */
  consentHow: string;
  /** ISO 8601; default now. */
  consentGivenAt?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** Float32Array → BLOB (little-endian on every platform Node supports). */
export const vectorToBlob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** BLOB → Float32Array (copied, aligned). */
export function blobToVector(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

function checkName(name: string): string {
  const n = name.trim();
  if (!n) throw new StoreError('invalid', 'a voiceprint needs a non-empty name');
  if (/^unknown\s+\d+$/i.test(n))
    throw new StoreError('invalid', `"${n}" is reserved for unidentified speakers`);
  return n;
}

/** The voiceprint named `name` (trimmed, case-insensitive), or null. */
export function voiceprintIdByName(db: Db, name: string): number | null {
  const row = db
    .prepare('SELECT id FROM voiceprints WHERE lower(trim(name)) = lower(?) ORDER BY id LIMIT 1')
    .get(name.trim()) as { id: number } | undefined;
  return row?.id ?? null;
}

/**
 * Refuses a name another voiceprint already has (two people of one name would be told apart by
 * nothing the user sees; the same person twice splits their evidence).
 * @throws StoreError `invalid` naming the existing voiceprint and the ways out.
 */
function checkUnique(db: Db, name: string, self: number | null = null): void {
  const other = voiceprintIdByName(db, name);
  if (other !== null && other !== self)
    throw new StoreError(
      'invalid',
      `a voiceprint named "${name}" already exists (id ${other}); choose another name (e.g. add a surname), ` +
        'or add this recording to it (voiceprints enroll --merge)',
    );
}

/**
 * Stable id of a voiceprint: its `uid`, or for voiceprints stored before uids existed, a content
 * id (sha256 of name, creation and consent time), so an older export imported twice is still
 * recognised.
 */
export function voiceprintUid(v: {
  uid?: string | null;
  name: string;
  createdAt: string;
  consentGivenAt: string;
}): string {
  if (v.uid) return v.uid;
  const h = createHash('sha256').update(`${v.name}\n${v.createdAt}\n${v.consentGivenAt}`).digest('hex');
  return `content-${h.slice(0, 32)}`;
}

/**
 * Creates a voiceprint with its embeddings, atomically.
 * @throws StoreError `invalid` without consent, name or embeddings, or with a non-finite vector.
 */
export function createVoiceprint(db: Db, vp: NewVoiceprint, embeddings: NewEmbedding[]): number {
  const name = checkName(vp.name);
  if (!vp.consentHow?.trim()) throw new StoreError('invalid', 'consent is required to keep a voiceprint');
  if (!embeddings.length) throw new StoreError('invalid', 'a voiceprint needs at least one embedding');
  return db.transaction((): number => {
    checkUnique(db, name);
    const now = nowIso();
    const id = Number(
      db
        .prepare(
          `INSERT INTO voiceprints (name, notes, consent_given_at, consent_how, created_at, updated_at, uid)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          name,
          vp.notes ?? '',
          vp.consentGivenAt ?? now,
          vp.consentHow.trim(),
          vp.createdAt ?? now,
          vp.updatedAt ?? now,
          vp.uid ?? randomUUID(),
        ).lastInsertRowid,
    );
    for (const e of embeddings) addEmbedding(db, id, e);
    return id;
  })();
}

/**
 * Adds embeddings to an existing voiceprint (enrollment "merged on request": more recordings of
 * the same person). Embeddings identical to one it holds (same model id+version and vector) are
 * skipped.
 * @returns the number of embeddings added.
 * @throws StoreError `not_found`, `invalid` for a non-finite vector.
 */
export function addEmbeddings(db: Db, voiceprintId: number, embeddings: NewEmbedding[]): number {
  return db.transaction((): number => {
    getVoiceprint(db, voiceprintId);
    const same = db.prepare(
      'SELECT 1 FROM voiceprint_embeddings WHERE voiceprint_id = ? AND model_id = ? AND model_version = ? AND vector = ?',
    );
    let n = 0;
    for (const e of embeddings) {
      if (same.get(voiceprintId, e.modelId, e.modelVersion, vectorToBlob(e.vector))) continue;
      addEmbedding(db, voiceprintId, e);
      n++;
    }
    return n;
  })();
}

/** Adds one embedding to a voiceprint. @returns the embedding id. */
export function addEmbedding(db: Db, voiceprintId: number, e: NewEmbedding): number {
  if (!e.vector.length || !e.vector.every(Number.isFinite))
    throw new StoreError('invalid', 'embedding vector is empty or not finite');
  const id = db
    .prepare(
      `INSERT INTO voiceprint_embeddings (voiceprint_id, model_id, model_version, dim, vector, source, speech_s, snr_db, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      voiceprintId,
      e.modelId,
      e.modelVersion,
      e.vector.length,
      vectorToBlob(e.vector),
      e.source,
      e.speechS,
      e.snrDb,
      e.createdAt ?? nowIso(),
    ).lastInsertRowid;
  db.prepare('UPDATE voiceprints SET updated_at = ? WHERE id = ?').run(nowIso(), voiceprintId);
  return Number(id);
}

interface VpRow {
  id: number;
  uid: string | null;
  name: string;
  notes: string;
  consent_given_at: string;
  consent_how: string;
  created_at: string;
  updated_at: string;
}

interface EmbRow {
  id: number;
  voiceprint_id: number;
  model_id: string;
  model_version: string;
  dim: number;
  source: string;
  speech_s: number;
  snr_db: number | null;
  created_at: string;
}

const toInfo = (e: EmbRow): VoiceprintEmbeddingInfo => ({
  id: e.id,
  modelId: e.model_id,
  modelVersion: e.model_version,
  dim: e.dim,
  source: e.source,
  speechS: e.speech_s,
  snrDb: e.snr_db,
  createdAt: e.created_at,
});

/** All voiceprints, by name, with their embedding records (no vectors). */
export function listVoiceprints(db: Db): Voiceprint[] {
  const rows = db.prepare('SELECT * FROM voiceprints ORDER BY name COLLATE NOCASE, id').all() as VpRow[];
  const embs = db
    .prepare(
      `SELECT id, voiceprint_id, model_id, model_version, dim, source, speech_s, snr_db, created_at
       FROM voiceprint_embeddings ORDER BY id`,
    )
    .all() as EmbRow[];
  const byVp = new Map<number, VoiceprintEmbeddingInfo[]>();
  for (const e of embs) {
    const list = byVp.get(e.voiceprint_id) ?? [];
    list.push(toInfo(e));
    byVp.set(e.voiceprint_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    uid: voiceprintUid({
      uid: r.uid,
      name: r.name,
      createdAt: r.created_at,
      consentGivenAt: r.consent_given_at,
    }),
    name: r.name,
    notes: r.notes,
    consent: { givenAt: r.consent_given_at, how: r.consent_how },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    embeddings: byVp.get(r.id) ?? [],
  }));
}

/** One voiceprint. @throws StoreError `not_found`. */
export function getVoiceprint(db: Db, id: number): Voiceprint {
  const vp = listVoiceprints(db).find((v) => v.id === id);
  if (!vp) throw new StoreError('not_found', `no voiceprint with id ${id}`);
  return vp;
}

/** Renames a voiceprint (past calls show the new name: names are resolved at read time). */
export function renameVoiceprint(db: Db, id: number, name: string): Voiceprint {
  const n = checkName(name);
  checkUnique(db, n, id);
  const changes = db
    .prepare('UPDATE voiceprints SET name = ?, updated_at = ? WHERE id = ?')
    .run(n, nowIso(), id).changes;
  if (!changes) throw new StoreError('not_found', `no voiceprint with id ${id}`);
  return getVoiceprint(db, id);
}

/**
 * Merges `goneId` into `keepId`: its embeddings and the call speakers linked to it move to
 * `keepId`, then `goneId` is deleted. Consent of `keepId` stays; notes are concatenated.
 */
export function mergeVoiceprints(db: Db, keepId: number, goneId: number): Voiceprint {
  if (keepId === goneId) throw new StoreError('invalid', 'cannot merge a voiceprint into itself');
  db.transaction(() => {
    const keep = getVoiceprint(db, keepId);
    const gone = getVoiceprint(db, goneId);
    db.prepare('UPDATE voiceprint_embeddings SET voiceprint_id = ? WHERE voiceprint_id = ?').run(
      keepId,
      goneId,
    );
    db.prepare('UPDATE call_speakers SET voiceprint_id = ? WHERE voiceprint_id = ?').run(keepId, goneId);
    const notes = [keep.notes, gone.notes].filter(Boolean).join('\n');
    db.prepare('UPDATE voiceprints SET notes = ?, updated_at = ? WHERE id = ?').run(notes, nowIso(), keepId);
    db.prepare('DELETE FROM voiceprints WHERE id = ?').run(goneId);
  })();
  scrubJournal(db);
  return getVoiceprint(db, keepId);
}

/**
 * Moves one embedding into a new voiceprint named `newName` (same consent record).
 * @throws StoreError `not_found`, or `invalid` when it is the voiceprint's only embedding.
 */
export function splitEmbedding(db: Db, embeddingId: number, newName: string): Voiceprint {
  const id = db.transaction((): number => {
    const row = db
      .prepare('SELECT voiceprint_id FROM voiceprint_embeddings WHERE id = ?')
      .get(embeddingId) as { voiceprint_id: number } | undefined;
    if (!row) throw new StoreError('not_found', `no embedding with id ${embeddingId}`);
    const n = (
      db
        .prepare('SELECT COUNT(*) AS n FROM voiceprint_embeddings WHERE voiceprint_id = ?')
        .get(row.voiceprint_id) as {
        n: number;
      }
    ).n;
    if (n < 2) throw new StoreError('invalid', 'cannot split off the only embedding of a voiceprint');
    const src = getVoiceprint(db, row.voiceprint_id);
    checkUnique(db, checkName(newName));
    const now = nowIso();
    const newId = Number(
      db
        .prepare(
          `INSERT INTO voiceprints (name, notes, consent_given_at, consent_how, created_at, updated_at, uid)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          checkName(newName),
          `split from voiceprint ${src.id} (${src.name})`,
          src.consent.givenAt,
          src.consent.how,
          now,
          now,
          randomUUID(),
        ).lastInsertRowid,
    );
    db.prepare('UPDATE voiceprint_embeddings SET voiceprint_id = ? WHERE id = ?').run(newId, embeddingId);
    return newId;
  })();
  return getVoiceprint(db, id);
}

/**
 * Hard-deletes a voiceprint and its embeddings; calls it labelled fall back to their stored label.
 * @throws StoreError `not_found`.
 */
export function deleteVoiceprint(db: Db, id: number): void {
  db.transaction(() => {
    db.prepare(
      `UPDATE call_speakers SET id_status = 'unknown', similarity = NULL WHERE voiceprint_id = ?`,
    ).run(id);
    const n = db.prepare('DELETE FROM voiceprints WHERE id = ?').run(id).changes;
    if (!n) throw new StoreError('not_found', `no voiceprint with id ${id}`);
  })();
  scrubJournal(db);
}

/**
 * Moves the WAL's content into the main file (where `secure_delete` has zeroed freed cells) and
 * truncates the WAL, so deleted biometric data leaves no copy in the journal. A no-op failure
 * (a reader holding an old snapshot) is retried at the next delete; the data is still unreachable.
 */
export function scrubJournal(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** A stored embedding with its vector, for identification and export. */
export interface EmbeddingRecord extends VoiceprintEmbeddingInfo {
  voiceprintId: number;
  name: string;
  vector: Float32Array;
}

/** Every embedding of one encoder model id+version, with the voiceprint's current name. */
export function embeddingsOfModel(db: Db, modelId: string, modelVersion: string): EmbeddingRecord[] {
  const rows = db
    .prepare(
      `SELECT e.*, v.name FROM voiceprint_embeddings e JOIN voiceprints v ON v.id = e.voiceprint_id
       WHERE e.model_id = ? AND e.model_version = ? ORDER BY e.voiceprint_id, e.id`,
    )
    .all(modelId, modelVersion) as (EmbRow & { name: string; vector: Buffer })[];
  return rows.map((r) => ({
    ...toInfo(r),
    voiceprintId: r.voiceprint_id,
    name: r.name,
    vector: blobToVector(r.vector),
  }));
}

/** Every embedding with its vector (export). */
export function allEmbeddings(db: Db): (EmbeddingRecord & { voiceprintId: number })[] {
  const rows = db
    .prepare(
      `SELECT e.*, v.name FROM voiceprint_embeddings e JOIN voiceprints v ON v.id = e.voiceprint_id ORDER BY e.id`,
    )
    .all() as (EmbRow & { name: string; vector: Buffer })[];
  return rows.map((r) => ({
    ...toInfo(r),
    voiceprintId: r.voiceprint_id,
    name: r.name,
    vector: blobToVector(r.vector),
  }));
}

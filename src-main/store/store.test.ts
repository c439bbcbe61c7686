/**
 * Store on real SQLite files in a temp folder: migrations from every earlier schema version,
 * calls (save, list/search/paging, open, delete cascade, export), voiceprints (consent, rename
 * relabels past calls, merge, split, hard delete with secure_delete), import/export, and the
 * clear errors for a newer schema, a read-only database, a full database and malformed imports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTmpDir, type TmpDir } from '../test-support.ts';
import { deleteCall, exportCall, getCall, listCalls, saveCall } from './calls.ts';
import { openDb, schemaVersion, StoreError, toStoreError } from './db.ts';
import { exportLibrary, importLibrary } from './exchange.ts';
import { emb, fakeResult, TEST_MODEL as MODEL, vec } from './fixtures.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import {
  addEmbeddings,
  createVoiceprint,
  embeddingsOfModel,
  listVoiceprints,
  renameVoiceprint,
  splitEmbedding,
  voiceprintIdByName,
} from './voiceprints.ts';

let tmp: TmpDir;
beforeAll(async () => {
  tmp = await createTmpDir('store');
});
afterAll(async () => {
  await tmp.cleanup();
});
let n = 0;
const dbPath = (): string => join(tmp.path, `t${++n}.db`);

describe('migrations', () => {
  it('opens a new database at the latest version with WAL, foreign keys and secure_delete', () => {
    const db = openDb(dbPath());
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    db.close();
  });

  for (let from = 0; from < SCHEMA_VERSION; from++) {
    it(`upgrades from schema version ${from} keeping the data`, () => {
      const p = dbPath();
      const old = openDb(p, { targetVersion: from });
      expect(schemaVersion(old)).toBe(from);
      if (from >= 1) {
        old
          .prepare(
            `INSERT INTO calls (source, title, started_at, duration_s, source_channels, source_sample_rate, channels,
             execution_provider, execution_provider_reason, rtf, timings, warnings, created_at)
           VALUES ('file:x', 'x.wav', '2024-01-01T00:00:00Z', 3, 1, 16000, '["mono"]', 'cpu', '', 0.1, '{}', '[]', '')`,
          )
          .run();
        old
          .prepare(
            `INSERT INTO call_speakers (call_id, speaker_key, label, channel, speech_s, attributes) VALUES (1, 'S1', 'Speaker 1', 'mono', 1, '{"status":"not_run","speechUsedS":0}')`,
          )
          .run();
        old
          .prepare(
            `INSERT INTO call_models (call_id, role, model_id, version, sha256) VALUES (1, 'vad', 'silero-vad-v6', '6.2', NULL)`,
          )
          .run();
      }
      old.close();
      const db = openDb(p);
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      if (from >= 1) {
        expect(getCall(db, 1).result.speakers[0].label).toBe('Speaker 1');
        // calls stored before providers were recorded read back without one
        expect(getCall(db, 1).result.models).toEqual([
          { role: 'vad', id: 'silero-vad-v6', version: '6.2', sha256: null },
        ]);
      }
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    });
  }

  it('keeps the execution provider of every model role of a call', () => {
    const db = openDb(dbPath());
    const r = fakeResult('providers.wav');
    const provider = {
      name: 'cpu' as const,
      requested: ['cuda' as const, 'cpu' as const],
      skipped: [{ name: 'cuda' as const, reason: 'libonnxruntime_providers_cuda.so not installed' }],
      reason: 'fallback: cuda unavailable',
    };
    r.models = [
      { role: 'agegender', id: 'callscope_agegender_v1', version: '1.1.0', sha256: null, provider },
    ];
    const id = saveCall(db, r);
    expect(getCall(db, id).result.models[0].provider).toEqual(provider);
    db.close();
  });

  it('refuses a database from a newer schema and changes nothing', () => {
    const p = dbPath();
    const raw = new Database(p);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(p);
    expect(() => openDb(p)).toThrow(/newer Callscope.*nothing was changed/);
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});

describe('calls', () => {
  it('saves, lists with paging and search, opens, exports and deletes with cascade', () => {
    const db = openDb(dbPath());
    for (let i = 0; i < 7; i++)
      saveCall(db, fakeResult(`call${i}.wav`), { startedAt: `2024-01-0${i + 1}T10:00:00Z` });
    const page = listCalls(db, { limit: 3, offset: 3 });
    expect(page.total).toBe(7);
    expect(page.calls.map((c) => c.title)).toEqual(['call3.wav', 'call2.wav', 'call1.wav']);
    expect(page.calls[0]).toMatchObject({
      turnCount: 4,
      speakerCount: 2,
      speakers: ['Speaker 1', 'Speaker 2'],
    });
    expect(listCalls(db, { search: 'call5' }).calls.map((c) => c.id)).toEqual([6]);
    const { result } = getCall(db, 6);
    const orig = fakeResult('call5.wav');
    expect(result.turns).toEqual(orig.turns);
    expect(result.quality).toEqual(orig.quality);
    expect(exportCall(db, 6, 'rttm').split('\n')[0]).toBe(
      'SPEAKER call5 1 0.000 1.500 <NA> <NA> S1 <NA> <NA>',
    );
    expect(exportCall(db, 6, 'csv')).toContain('speaker_label');
    deleteCall(db, 6);
    expect(() => getCall(db, 6)).toThrow(StoreError);
    expect(db.prepare('SELECT COUNT(*) AS n FROM turns WHERE call_id = 6').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM call_speakers WHERE call_id = 6').get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('import, export and clear errors', () => {
  it('round-trips the library; refuses malformed files and other encoders without changes', () => {
    const a = openDb(dbPath());
    createVoiceprint(a, { name: 'Ann', consentHow: 'verbal' }, [emb(vec(1, 2, 3))]);
    const text = JSON.stringify(exportLibrary(a));
    a.close();
    const b = openDb(dbPath());
    expect(() => importLibrary(b, '{ nope', MODEL)).toThrow(/invalid JSON/);
    expect(() => importLibrary(b, '{"format":"callscope-voiceprints"}', MODEL)).toThrow(
      /not a valid voiceprint export/,
    );
    expect(() => importLibrary(b, text, { id: 'callscope_spk_encoder_v1', version: '0.1.0' })).toThrow(
      /embeddings of test-enc 1 only.*cannot be compared/,
    );
    const broken = JSON.parse(text) as { voiceprints: { embeddings: { vector: string }[] }[] };
    broken.voiceprints.push({
      ...broken.voiceprints[0],
      embeddings: [{ ...broken.voiceprints[0].embeddings[0], vector: 'AAAA' }],
    });
    expect(() => importLibrary(b, JSON.stringify(broken), MODEL)).toThrow(
      /damaged voiceprint data \(the vector holds 3 bytes, \d+ numbers need \d+\).*nothing was imported/,
    );
    expect(listVoiceprints(b)).toHaveLength(0);
    expect(importLibrary(b, text, MODEL)).toBe(1);
    expect([...embeddingsOfModel(b, MODEL.id, MODEL.version)[0].vector]).toEqual([1, 2, 3]);
    b.close();
  });

  it('importing an export twice adds nothing (stable ids); the embeddings of every encoder travel', () => {
    const a = openDb(dbPath());
    createVoiceprint(a, { name: 'Ann', consentHow: 'verbal' }, [
      emb(vec(1, 2, 3)),
      { ...emb(vec(4, 5)), modelId: 'other-enc' },
    ]);
    createVoiceprint(a, { name: 'Bob', consentHow: 'written' }, [
      { ...emb(vec(1, 1)), modelId: 'other-enc' },
    ]);
    const text = JSON.stringify(exportLibrary(a));
    a.close();
    const b = openDb(dbPath());
    expect(importLibrary(b, text, MODEL)).toBe(2);
    expect(importLibrary(b, text, MODEL)).toBe(0);
    const list = listVoiceprints(b);
    expect(list.map((v) => v.name)).toEqual(['Ann', 'Bob']);
    expect(list[0].embeddings.map((e) => e.modelId).sort()).toEqual(['other-enc', 'test-enc']);
    expect(b.prepare('SELECT COUNT(*) AS n FROM voiceprint_embeddings').get()).toEqual({ n: 3 });
    // the ids survive a second hop (export of the importing library, imported back)
    const again = JSON.stringify(exportLibrary(b));
    expect(importLibrary(b, again, MODEL)).toBe(0);
    // an older file without uids is recognised by its content id
    const old = JSON.parse(text) as { voiceprints: { uid?: string }[] };
    for (const v of old.voiceprints) delete v.uid;
    const c = openDb(dbPath());
    expect(importLibrary(c, JSON.stringify(old), MODEL)).toBe(2);
    expect(importLibrary(c, JSON.stringify(old), MODEL)).toBe(0);
    expect(listVoiceprints(c)).toHaveLength(2);
    b.close();
    c.close();
  });

  it('refuses duplicate names (enroll, rename, split, import) unless merging is asked for', () => {
    const db = openDb(dbPath());
    const ann = createVoiceprint(db, { name: 'Ann', consentHow: 'verbal' }, [
      emb(vec(1, 0)),
      emb(vec(0.9, 0.1)),
    ]);
    const bob = createVoiceprint(db, { name: 'Bob', consentHow: 'verbal' }, [emb(vec(0, 1))]);
    expect(() => createVoiceprint(db, { name: ' ann ', consentHow: 'x' }, [emb(vec(1, 1))])).toThrow(
      /named "ann" already exists \(id 1\).*--merge/,
    );
    expect(() => renameVoiceprint(db, bob, 'ANN')).toThrow(/already exists/);
    expect(renameVoiceprint(db, ann, 'Ann').name).toBe('Ann'); // renaming to itself is fine
    expect(() => splitEmbedding(db, listVoiceprints(db)[0].embeddings[0].id, 'Bob')).toThrow(
      /already exists/,
    );
    // merge on request: more recordings of the same person; an identical embedding is not added twice
    expect(voiceprintIdByName(db, 'ANN')).toBe(ann);
    expect(addEmbeddings(db, ann, [emb(vec(0.8, 0.2)), emb(vec(1, 0))])).toBe(1);
    expect(listVoiceprints(db).find((v) => v.id === ann)!.embeddings).toHaveLength(3);
    // an export of another library holding another "Bob": refused, or merged when asked
    const other = openDb(dbPath());
    createVoiceprint(other, { name: 'Bob', consentHow: 'other library' }, [emb(vec(0.1, 1))]);
    const text = JSON.stringify(exportLibrary(other));
    other.close();
    expect(() => importLibrary(db, text, MODEL)).toThrow(/already has a voiceprint named "Bob".*--merge/);
    expect(listVoiceprints(db)).toHaveLength(2);
    expect(importLibrary(db, text, MODEL, { merge: true })).toBe(0);
    expect(listVoiceprints(db).find((v) => v.id === bob)!.embeddings).toHaveLength(2);
    db.close();
  });

  it('a read-only database and a full database give clear errors and keep the data', () => {
    const p = dbPath();
    const db = openDb(p);
    saveCall(db, fakeResult());
    db.close();
    const ro = openDb(p, { readOnly: true });
    expect(listCalls(ro).total).toBe(1);
    let err: unknown;
    try {
      saveCall(ro, fakeResult());
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message)).toMatch(/readonly/i);
    ro.close();
    const full = openDb(p);
    const pages = full.pragma('page_count', { simple: true }) as number;
    full.pragma(`max_page_count = ${pages}`);
    expect(() => {
      try {
        saveCall(full, fakeResult('big.wav', 5000));
      } catch (e) {
        throw toStoreError(e, p);
      }
    }).toThrow(/full; nothing was changed/);
    expect(listCalls(full).total).toBe(1);
    full.close();
  });
});

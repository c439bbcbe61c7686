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
import { fakeResult } from './fixtures.ts';
import { identifySpeakers, VoiceprintIndex } from './identify.ts';
import { labelResult, linksOf } from './label-result.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import {
  createVoiceprint,
  deleteVoiceprint,
  listVoiceprints,
  mergeVoiceprints,
  renameVoiceprint,
  splitEmbedding,
} from './voiceprints.ts';

const MODEL = { id: 'test-enc', version: '1' };

const vec = (...v: number[]): Float32Array => Float32Array.from(v);
const emb = (v: Float32Array, speechS = 10) => ({
  modelId: MODEL.id,
  modelVersion: MODEL.version,
  vector: v,
  source: 'test',
  speechS,
  snrDb: 20,
});

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

describe('voiceprints and identification', () => {
  it('labels speakers, resolves renames and merges at read time, hard-deletes', () => {
    const p = dbPath();
    const db = openDb(p);
    expect(() => createVoiceprint(db, { name: 'X', consentHow: ' ' }, [emb(vec(1, 0, 0))])).toThrow(
      /consent/,
    );
    const ann = createVoiceprint(db, { name: 'Ann', consentHow: 'verbal' }, [emb(vec(1, 0, 0))]);
    const bob = createVoiceprint(db, { name: 'Bob', consentHow: 'written' }, [emb(vec(0, 1, 0))]);
    const r = fakeResult();
    const ids = labelResult(
      db,
      r,
      new Map([
        ['S1', vec(0.9, 0.1, 0)],
        ['S2', vec(0, 0, 1)],
      ]),
      MODEL,
      { threshold: 0.5, margin: 0.05 },
    );
    expect(ids.get('S1')).toMatchObject({ status: 'known', label: 'Ann' });
    expect(ids.get('S2')).toMatchObject({ status: 'unknown', label: 'Unknown 1' });
    const callId = saveCall(db, r, { links: linksOf(ids) });
    renameVoiceprint(db, ann, 'Anne');
    expect(getCall(db, callId).result.speakers.map((s) => s.label)).toEqual(['Anne', 'Unknown 1']);
    expect(listCalls(db, { search: 'anne' }).total).toBe(1);
    // merge Anne into Bob: the call now says Bob
    mergeVoiceprints(db, bob, ann);
    expect(getCall(db, callId).result.speakers[0].label).toBe('Bob');
    expect(listVoiceprints(db)[0].embeddings).toHaveLength(2);
    const split = splitEmbedding(db, listVoiceprints(db)[0].embeddings[0].id, 'Anne again');
    expect(split.embeddings).toHaveLength(1);
    deleteVoiceprint(db, bob);
    deleteVoiceprint(db, split.id);
    expect(getCall(db, callId).result.speakers[0].label).toBe('Unknown');
    expect(db.prepare('SELECT COUNT(*) AS n FROM voiceprint_embeddings').get()).toEqual({ n: 0 });
    db.close();
    expect(readFileSync(p).includes(Buffer.from('Bob'))).toBe(false);
  });

  it('stereo: the mic speaker stays "You" (with the name when known); Unknown N follow first appearance', () => {
    const db = openDb(dbPath());
    const r = fakeResult('stereo.wav');
    const remote = (id: string) => ({
      ...r.speakers[0],
      id,
      label: `Speaker ${id.slice(1)}`,
      channel: 'system' as const,
    });
    r.channels = ['mic', 'system'];
    r.speakers = [
      { ...r.speakers[0], id: 'you', label: 'You', channel: 'mic' },
      remote('S1'),
      { ...remote('S2'), speechS: 0.3 }, // a blip: no lane in the UI, numbered last
      remote('S3'),
    ];
    // S3 has no embedding (too little clean speech); S1 and S2 are unknown voices
    const query = new Map([
      ['you', vec(1, 0, 0)],
      ['S1', vec(0, 1, 0)],
      ['S2', vec(0, 0, 1)],
    ]);
    const ids = labelResult(db, r, query, MODEL, { threshold: 0.5, margin: 0.05 });
    expect(r.speakers.map((s) => s.label)).toEqual(['You', 'Unknown 1', 'Unknown 3', 'Unknown 2']);
    expect(ids.get('you')).toMatchObject({ status: 'unknown', label: 'You' });
    expect(linksOf(ids).get('you')!.label).toBe('You');
    // once the library knows the mic voice and S2's, You keeps its place and the unknowns renumber in order
    createVoiceprint(db, { name: 'Me', consentHow: 'own voice' }, [emb(vec(1, 0, 0))]);
    createVoiceprint(db, { name: 'Cat', consentHow: 'verbal' }, [emb(vec(0, 0, 1))]);
    labelResult(db, r, query, MODEL, { threshold: 0.5, margin: 0.05 });
    expect(r.speakers.map((s) => s.label)).toEqual(['You (Me)', 'Unknown 1', 'Cat', 'Unknown 2']);
    db.close();
  });

  it('never compares embeddings of different encoders; close runners-up are ambiguous', () => {
    const db = openDb(dbPath());
    createVoiceprint(db, { name: 'A', consentHow: 'ok' }, [emb(vec(1, 0))]);
    createVoiceprint(db, { name: 'B', consentHow: 'ok' }, [emb(vec(0.99, 0.14))]);
    createVoiceprint(db, { name: 'Other', consentHow: 'ok' }, [{ ...emb(vec(1, 0)), modelId: 'other-enc' }]);
    const index = VoiceprintIndex.load(db, MODEL.id, MODEL.version);
    expect(index.names).toEqual(['A', 'B']);
    const out = identifySpeakers(index, new Map([['S1', vec(1, 0.07)]]), { threshold: 0.5, margin: 0.05 });
    expect(out.get('S1')).toMatchObject({ status: 'ambiguous', label: 'A or B?' });
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
      /encoder test-enc 1.*cannot be compared/,
    );
    const broken = JSON.parse(text) as { voiceprints: { embeddings: { vector: string }[] }[] };
    broken.voiceprints.push({
      ...broken.voiceprints[0],
      embeddings: [{ ...broken.voiceprints[0].embeddings[0], vector: 'AAAA' }],
    });
    expect(() => importLibrary(b, JSON.stringify(broken), MODEL)).toThrow(
      /vector has 0.75 values|vector has/,
    );
    expect(listVoiceprints(b)).toHaveLength(0);
    expect(importLibrary(b, text, MODEL)).toBe(1);
    expect(VoiceprintIndex.load(b, MODEL.id, MODEL.version).scores(vec(1, 2, 3))[0]).toBeCloseTo(1, 6);
    b.close();
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

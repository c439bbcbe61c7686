/**
 * Issue 12, finding 8 (malicious import file): wrong dimensions, NaN/Inf vectors, 10 MB names,
 * SQL-looking names and a million entries are refused (or stored literally, for SQL) with a clear
 * error, and nothing already stored changes. Real SQLite database in a temporary folder.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { VoiceprintExportFile } from '../../src-shared/contracts/voiceprints.ts';
import { type Db, openDb } from '../store/db.ts';
import { exportLibrary, importLibrary, MAX_IMPORT_VOICEPRINTS } from '../store/exchange.ts';
import { allEmbeddings, createVoiceprint, listVoiceprints, vectorToBlob } from '../store/voiceprints.ts';
import { createTmpDir, type TmpDir } from '../test-support.ts';

const MODEL = { id: 'test-enc', version: '1' };
let tmp: TmpDir;
let db: Db;
let good: VoiceprintExportFile;

const b64 = (v: number[]): string => vectorToBlob(Float32Array.from(v)).toString('base64');
/** A copy of the good export file with its first voiceprint (or embedding) changed. */
function variant(vp: Record<string, unknown> = {}, emb: Record<string, unknown> = {}): VoiceprintExportFile {
  const f = structuredClone(good);
  Object.assign(f.voiceprints[0], vp);
  Object.assign(f.voiceprints[0].embeddings[0], emb);
  return f;
}
/** The library's state: names, consent and every stored vector. */
const snapshot = (): string =>
  JSON.stringify({
    v: listVoiceprints(db).map((v) => [v.name, v.notes, v.consent]),
    e: allEmbeddings(db).map((e) => [e.voiceprintId, e.dim, [...e.vector]]),
  });

beforeAll(async () => {
  tmp = await createTmpDir('import-attacks');
  db = openDb(join(tmp.path, 'c.db'));
  createVoiceprint(db, { name: 'Ann', consentHow: 'verbal, 2026-01-02' }, [
    {
      modelId: MODEL.id,
      modelVersion: MODEL.version,
      vector: Float32Array.from([1, 2, 3]),
      source: 'test',
      speechS: 10,
      snrDb: 20,
    },
  ]);
  good = exportLibrary(db);
  good.voiceprints[0].name = 'Imported';
});
afterAll(async () => {
  db.close();
  await tmp.cleanup();
});

describe('malicious voiceprint import files (issue 12, finding 8)', () => {
  const refused: [string, () => string, RegExp][] = [
    [
      'wrong dims (other than the library)',
      () => JSON.stringify(variant({}, { dim: 2, vector: b64([1, 2]) })),
      /dimension 2.*have 3/,
    ],
    [
      'dim and vector disagree',
      () => JSON.stringify(variant({}, { vector: b64([1, 2, 3, 4]) })),
      /damaged voiceprint data \(the vector holds 16 bytes, 3 numbers need 12\)/,
    ],
    ['huge dim', () => JSON.stringify(variant({}, { dim: 1e9 })), /dim/],
    ['NaN in a vector', () => JSON.stringify(variant({}, { vector: b64([1, NaN, 3]) })), /non-finite/],
    [
      'Infinity in a vector',
      () => JSON.stringify(variant({}, { vector: b64([1, Infinity, 3]) })),
      /non-finite/,
    ],
    [
      'Infinity as speechS (1e999)',
      () => JSON.stringify(variant()).replace('"speechS":10', '"speechS":1e999'),
      /speechS/,
    ],
    ['a 10 MB name', () => JSON.stringify(variant({ name: 'x'.repeat(10 * 1024 * 1024) })), /name/],
    [
      'a 10 MB consent text',
      () => JSON.stringify(variant({ consent: { givenAt: 'x', how: 'y'.repeat(1e7) } })),
      /consent/,
    ],
    [
      'a million voiceprints',
      () => JSON.stringify({ ...good, voiceprints: Array.from({ length: 1e6 }, () => ({})) }),
      /1000000 voiceprints, at most 10000/,
    ],
    [
      'a million embeddings (over the size bound)',
      () =>
        JSON.stringify(
          variant({ embeddings: Array.from({ length: 1e6 }, () => good.voiceprints[0].embeddings[0]) }),
        ),
      /too large/,
    ],
    [
      'a voiceprint with 1001 embeddings',
      () =>
        JSON.stringify(
          variant({ embeddings: Array.from({ length: 1001 }, () => good.voiceprints[0].embeddings[0]) }),
        ),
      /embeddings: Too big/i,
    ],
    ['more than 32 M characters', () => ' '.repeat(32_000_001), /too large/],
  ];
  for (const [what, make, message] of refused)
    it(`refuses ${what} with a clear error; nothing changes`, () => {
      const before = snapshot();
      expect(() => importLibrary(db, make(), MODEL)).toThrow(message);
      expect(snapshot()).toBe(before);
    });

  it('refuses a file whose last voiceprint is bad: the good ones before it are not written either', () => {
    const before = snapshot();
    const f = structuredClone(good);
    f.voiceprints.push(variant({ name: 'Bad' }, { vector: b64([NaN, 0, 0]) }).voiceprints[0]);
    expect(() => importLibrary(db, JSON.stringify(f), MODEL)).toThrow(/non-finite/);
    expect(snapshot()).toBe(before);
  });

  it('stores SQL-looking names literally and leaves the tables intact', () => {
    const names = ["Robert'); DROP TABLE voiceprints;--", '" OR 1=1 --', '%_\\'];
    const f = structuredClone(good);
    // distinct voiceprints (no shared stable uid), so none is taken for a re-import of another
    f.voiceprints = names.map((name) => ({ ...good.voiceprints[0], uid: undefined, name }));
    expect(importLibrary(db, JSON.stringify(f), MODEL)).toBe(3);
    const stored = listVoiceprints(db).map((v) => v.name);
    for (const n of names) expect(stored).toContain(n);
    expect(stored).toContain('Ann');
  });

  it('bounds are the documented ones', () => {
    expect(MAX_IMPORT_VOICEPRINTS).toBe(10_000);
  });
});

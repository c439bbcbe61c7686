/**
 * Voiceprint labelling of calls on a real SQLite library: identification through the service
 * glue (engine scoring + store), renames and merges resolved at read time, hard delete, and
 * encoder separation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { identifySpeakers, linksOf } from '../engine/voiceprints/identify.ts';
import { getCall, listCalls, saveCall } from '../store/calls.ts';
import { openDb } from '../store/db.ts';
import { emb, fakeResult, TEST_MODEL as MODEL, vec } from '../store/fixtures.ts';
import {
  createVoiceprint,
  deleteVoiceprint,
  listVoiceprints,
  mergeVoiceprints,
  renameVoiceprint,
  splitEmbedding,
} from '../store/voiceprints.ts';
import { createTmpDir, type TmpDir } from '../test-support.ts';
import { labelResult, loadVoiceprintIndex } from './voiceprint-labels.ts';

let tmp: TmpDir;
beforeAll(async () => {
  tmp = await createTmpDir('vp-labels');
});
afterAll(async () => {
  await tmp.cleanup();
});
let n = 0;
const dbPath = (): string => join(tmp.path, `t${++n}.db`);

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
    const index = loadVoiceprintIndex(db, MODEL.id, MODEL.version);
    expect(index.names).toEqual(['A', 'B']);
    const out = identifySpeakers(index, new Map([['S1', vec(1, 0.07)]]), { threshold: 0.5, margin: 0.05 });
    expect(out.get('S1')).toMatchObject({ status: 'ambiguous', label: 'A or B?' });
    db.close();
  });
});

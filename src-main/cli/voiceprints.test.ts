/**
 * `callscope voiceprints` / `history` / `analyze --db` end to end with the real models and real
 * dev recordings (shared/data/dev/voiceprint) on SQLite files in a temp folder.
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { createTmpDir, devFile, type TmpDir, useSharedModels } from '../test-support.ts';
import { runCli } from './in-process.ts';

let tmp: TmpDir;
beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('cli-vp');
});
afterAll(async () => {
  await tmp.cleanup();
});

const cli = runCli;

it('enroll (refusing too little speech), list, rename, export/import, delete, analyze --db, history', async () => {
  const db = join(tmp.path, 'lib.db');
  const katie = devFile('voiceprint/azure_katie/enrollment_audio_katie.wav');
  const steve = devFile('voiceprint/azure_steve/enrollment_audio_steve.wav');
  const short = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--create',
    '--name',
    'Short',
    '--consent',
    'dev',
    devFile('voiceprint/librispeech_1688/1688-142285-0002.flac'),
  );
  expect(short.code).toBe(1);
  expect(short.err).toMatch(/^error: only \d+\.\d s of clear speech found, at least 8 s/);
  const range = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'K',
    '--consent',
    'dev',
    '--from',
    '0',
    '--to',
    '5',
    katie,
  );
  expect(range.err).toMatch(/at least 8 s/);
  const k = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--json',
    '--name',
    'Katie',
    '--consent',
    'public sample',
    katie,
  );
  expect(k.code, k.err).toBe(0);
  const kj = JSON.parse(k.out) as { id: number; embeddings: { modelId: string; speechS: number }[] };
  expect(kj.embeddings[0].speechS).toBeGreaterThan(8);
  // the project encoder identifies; enrollment keeps every available encoder's embedding
  expect(kj.embeddings.map((e) => e.modelId)).toEqual([
    'callscope_spk_encoder_v1',
    'fbank-stats',
    'callscope_spk_encoder_v2',
  ]);
  expect(
    (await cli('voiceprints', 'enroll', '--db', db, '--name', 'Steve', '--consent', 'public sample', steve))
      .code,
  ).toBe(0);
  // a name already enrolled is refused, or the recording is added to it on request
  const dup = await cli('voiceprints', 'enroll', '--db', db, '--name', 'steve', '--consent', 'again', steve);
  expect(dup.code).toBe(1);
  expect(dup.err).toMatch(/a voiceprint named "steve" already exists \(id 2\).*--merge/);
  const merged = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--json',
    '--merge',
    '--name',
    'Steve',
    '--consent',
    'again',
    steve,
  );
  expect(merged.code, merged.err).toBe(0);
  expect((JSON.parse(merged.out) as { id: number }).id).toBe(2);
  expect((await cli('voiceprints', 'rename', '--db', db, String(kj.id), 'Katie B')).out).toContain('Katie B');
  const list = JSON.parse((await cli('voiceprints', 'list', '--db', db, '--json')).out) as { name: string }[];
  expect(list.map((v) => v.name)).toEqual(['Katie B', 'Steve']);

  const file = join(tmp.path, 'lib.json');
  // biometric data: a plain warning, and nothing written without --yes (issue 12, finding 6)
  const unconfirmed = await cli('voiceprints', 'export', '--db', db, file);
  expect(unconfirmed.code).toBe(1);
  expect(unconfirmed.err).toContain('biometric data');
  expect(unconfirmed.err).toMatch(/export not written: confirm with --yes/);
  expect(existsSync(file)).toBe(false);
  const confirmed = await cli('voiceprints', 'export', '--db', db, file, '--yes');
  expect(confirmed.code).toBe(0);
  expect(confirmed.err).toContain('biometric data');
  if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  const other = join(tmp.path, 'other.db');
  const wrong = await cli(
    'voiceprints',
    'import',
    '--db',
    other,
    '--create',
    '--embedding',
    'wespeaker-resnet34-en-voxceleb',
    file,
  );
  expect(wrong.err).toMatch(/cannot be compared; nothing was imported/);
  expect((await cli('voiceprints', 'import', '--db', other, file)).out).toContain('imported 2 new');
  // importing the same export again does not duplicate anybody (stable ids)
  expect((await cli('voiceprints', 'import', '--db', other, file)).out).toContain('imported 0 new');
  expect(JSON.parse((await cli('voiceprints', 'list', '--db', other, '--json')).out)).toHaveLength(2);
  expect((await cli('voiceprints', 'delete', '--db', other, '1')).code).toBe(0);
  expect((await cli('voiceprints', 'delete', '--db', other, '1')).err).toContain('no voiceprint with id 1');

  // a library made with another encoder only: listed as needing re-enrollment, and identification
  // says why there is nothing to compare (never a bare "similarity —")
  const exported = JSON.parse(await readFile(file, 'utf8')) as {
    voiceprints: { embeddings: { modelId: string }[] }[];
  };
  for (const v of exported.voiceprints)
    v.embeddings = v.embeddings.filter((e) => e.modelId === 'fbank-stats');
  const oldFile = join(tmp.path, 'fbank-only.json');
  await writeFile(oldFile, JSON.stringify(exported));
  const stale = join(tmp.path, 'stale.db');
  expect(
    (await cli('voiceprints', 'import', '--db', stale, '--create', '--embedding', 'fbank-stats', oldFile))
      .code,
  ).toBe(0);
  const staleList = await cli('voiceprints', 'list', '--db', stale);
  expect(staleList.out).toMatch(
    /Katie B[^\n]*\n\s+needs re-enrollment: identification uses callscope_spk_encoder_v1 1\.0\.0, and this voiceprint only holds fbank-stats 1/,
  );
  const staleJson = JSON.parse((await cli('voiceprints', 'list', '--db', stale, '--json')).out) as {
    needsReenrollment: { modelId: string } | null;
  }[];
  expect(staleJson.map((v) => v.needsReenrollment?.modelId)).toEqual([
    'callscope_spk_encoder_v1',
    'callscope_spk_encoder_v1',
  ]);
  const conv = devFile('voiceprint/conversations/azure_katiesteve_mono.wav');
  const staleId = await cli('voiceprints', 'identify', '--db', stale, conv);
  expect(staleId.code, staleId.err).toBe(0);
  expect(staleId.out).not.toMatch(/similarity —/);
  expect(staleId.out).toMatch(
    /no comparison: none of the 2 voiceprint\(s\) of the library holds a callscope_spk_encoder_v1/,
  );

  const a = await cli('analyze', '--db', db, '-q', conv);
  expect(a.code, a.err).toBe(0);
  expect(a.out).toMatch(/call 1 saved/);
  const page = JSON.parse((await cli('history', 'list', '--db', db, '--json')).out) as {
    total: number;
    calls: { turnCount: number }[];
  };
  expect(page.total).toBe(1);
  expect(page.calls[0].turnCount).toBeGreaterThan(0);
  const rttm = await cli('history', 'export', '--db', db, '1', '--format', 'rttm');
  expect(rttm.out).toMatch(/^SPEAKER azure_katiesteve_mono 1 /);
  expect((await cli('history', 'delete', '--db', db, '1')).code).toBe(0);
  expect((await cli('history', 'show', '--db', db, '1')).err).toContain('no call with id 1');
});

it('enroll from a time range of a file and from a speaker of a stored call (remember this voice)', async () => {
  const db = join(tmp.path, 'calls.db');
  const katieSrc = devFile('voiceprint/azure_katie/enrollment_audio_katie.wav');
  // the call's source file lives in the temp folder so it can be taken away below
  const katie = join(tmp.path, 'katie-call.wav');
  await copyFile(katieSrc, katie);
  const short = join(tmp.path, 'short-call.flac');
  await copyFile(devFile('voiceprint/librispeech_1688/1688-142285-0002.flac'), short);

  const direct = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--create',
    '--json',
    '--name',
    'Katie range',
    '--consent',
    'public sample',
    '--from',
    '2',
    '--to',
    '17',
    katieSrc,
  );
  expect(direct.code, direct.err).toBe(0);
  const dj = JSON.parse(direct.out) as { embeddings: { source: string; speechS: number }[] };
  expect(dj.embeddings[0].source).toMatch(/enrollment_audio_katie\.wav\[2-17 s\]$/);
  expect(dj.embeddings[0].speechS).toBeGreaterThan(8);
  expect(dj.embeddings[0].speechS).toBeLessThanOrEqual(15);

  expect((await cli('analyze', '--db', db, '-q', katie, short)).code).toBe(0);
  const calls = JSON.parse((await cli('history', 'list', '--db', db, '--json')).out) as {
    calls: { id: number; title: string }[];
  };
  const callOf = (t: string): string => String(calls.calls.find((c) => c.title.startsWith(t))!.id);
  const katieCall = callOf('katie-call');
  const shown = JSON.parse((await cli('history', 'show', '--db', db, '--json', katieCall)).out) as {
    result: { speakers: { id: string; speechS: number }[] };
  };
  const main = [...shown.result.speakers].sort((a, b) => b.speechS - a.speechS)[0].id;

  const noConsent = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'K',
    '--call',
    katieCall,
    '--speaker',
    main,
  );
  expect(noConsent.code).toBe(1);
  expect(noConsent.err).toMatch(/required option '--consent <text>'/);
  const both = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'K',
    '--consent',
    'c',
    '--call',
    katieCall,
    '--speaker',
    main,
    katie,
  );
  expect(both.err).toMatch(/^error: give either recordings or --call, not both/);
  const noSpk = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'K',
    '--consent',
    'c',
    '--call',
    katieCall,
    '--speaker',
    'S9',
  );
  expect(noSpk.err).toMatch(/^error: call \d+ has no speaker S9; its speakers are S1/);
  const tooShort = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'Short',
    '--consent',
    'c',
    '--call',
    callOf('short-call'),
    '--speaker',
    'S1',
  );
  expect(tooShort.code).toBe(1);
  expect(tooShort.err).toMatch(/^error: only \d+\.\d s of clear speech found, at least 8 s are needed/);

  const fromCall = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--json',
    '--name',
    'Katie call',
    '--consent',
    'verbal, on the call',
    '--call',
    katieCall,
    '--speaker',
    main,
  );
  expect(fromCall.code, fromCall.err).toBe(0);
  const cj = JSON.parse(fromCall.out) as {
    id: number;
    consent: { how: string };
    embeddings: { source: string; speechS: number; modelId: string }[];
  };
  expect(cj.consent.how).toBe('verbal, on the call');
  expect(cj.embeddings[0].source).toBe(`call:${katieCall}/${main}`);
  expect(cj.embeddings[0].speechS).toBeGreaterThanOrEqual(8);
  // the voiceprint taken from the call recognises the same voice as the file enrollment: with
  // Steve enrolled too, both Katie voiceprints are the closest candidates for her recording
  const steve = devFile('voiceprint/azure_steve/enrollment_audio_steve.wav');
  expect(
    (await cli('voiceprints', 'enroll', '--db', db, '--name', 'Steve', '--consent', 'c', steve)).code,
  ).toBe(0);
  const ident = JSON.parse((await cli('voiceprints', 'identify', '--db', db, '--json', katieSrc)).out) as {
    speakers: Record<string, { best: { name: string }; runnerUp: { name: string } }>;
  }[];
  const first = Object.values(ident[0].speakers)[0];
  expect([first.best.name, first.runnerUp.name].sort()).toEqual(['Katie call', 'Katie range']);

  // the store keeps no embeddings of call speakers: without the audio there is nothing to enroll from
  await rm(katie);
  const gone = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--name',
    'K2',
    '--consent',
    'c',
    '--call',
    katieCall,
    '--speaker',
    main,
  );
  expect(gone.code).toBe(1);
  expect(gone.err).toMatch(
    /^error: cannot enroll from call \d+: .*is no longer there.*enroll from a recording instead/,
  );
  expect(JSON.parse((await cli('voiceprints', 'list', '--db', db, '--json')).out)).toHaveLength(3);
});

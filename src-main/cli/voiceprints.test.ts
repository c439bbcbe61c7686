/**
 * `callscope voiceprints` / `history` / `analyze --db` end to end with the real models and real
 * dev recordings (shared/data/dev/voiceprint) on SQLite files in a temp folder.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { createTmpDir, devFile, type TmpDir, useSharedModels } from '../test-support.ts';
import { buildProgram } from './main.ts';

let tmp: TmpDir;
beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('cli-vp');
});
afterAll(async () => {
  await tmp.cleanup();
});

/** Runs the CLI in-process. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = -1;
  const program = buildProgram({ stdout: (s) => (out += s), stderr: (s) => (err += s) }, (c) => (code = c));
  await program.parseAsync(['node', 'callscope', ...args]);
  return { code, out, err };
}

it('enroll (refusing too little speech), list, rename, export/import, delete, analyze --db, history', async () => {
  const db = join(tmp.path, 'lib.db');
  const katie = devFile('voiceprint/azure_katie/enrollment_audio_katie.wav');
  const steve = devFile('voiceprint/azure_steve/enrollment_audio_steve.wav');
  const short = await cli(
    'voiceprints',
    'enroll',
    '--db',
    db,
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
  expect(kj.embeddings[0].modelId).toBe('fbank-stats');
  expect(
    (await cli('voiceprints', 'enroll', '--db', db, '--name', 'Steve', '--consent', 'public sample', steve))
      .code,
  ).toBe(0);
  expect((await cli('voiceprints', 'rename', '--db', db, String(kj.id), 'Katie B')).out).toContain('Katie B');
  const list = JSON.parse((await cli('voiceprints', 'list', '--db', db, '--json')).out) as { name: string }[];
  expect(list.map((v) => v.name)).toEqual(['Katie B', 'Steve']);

  const file = join(tmp.path, 'lib.json');
  expect((await cli('voiceprints', 'export', '--db', db, file)).code).toBe(0);
  const other = join(tmp.path, 'other.db');
  const wrong = await cli(
    'voiceprints',
    'import',
    '--db',
    other,
    '--embedding',
    'callscope_spk_encoder_v1',
    file,
  );
  expect(wrong.err).toMatch(/cannot be compared; nothing was imported/);
  expect((await cli('voiceprints', 'import', '--db', other, file)).out).toContain('imported 2');
  expect((await cli('voiceprints', 'delete', '--db', other, '1')).code).toBe(0);
  expect((await cli('voiceprints', 'delete', '--db', other, '1')).err).toContain('no voiceprint with id 1');

  const conv = devFile('voiceprint/conversations/azure_katiesteve_mono.wav');
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

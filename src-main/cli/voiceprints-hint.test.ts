/**
 * Open-set answers of `callscope voiceprints identify` (issue 14): a speaker who is not enrolled
 * comes out `Unknown N`, and the closest voiceprint is shown as a hint only, with the reason (its
 * calibrated P(same speaker) and score below the decision threshold). Real models (the default
 * voiceprint encoder and its shipped cohort and calibration), real dev recordings, real SQLite.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import type { Identification } from '../../src-shared/contracts/voiceprints.ts';
import { operatingPointFor } from '../engine/voiceprints/identify.ts';
import { voiceprintModelId } from '../engine/voiceprints/models.ts';
import { createTmpDir, devFile, type TmpDir, useSharedModels } from '../test-support.ts';
import { runCli } from './in-process.ts';

let tmp: TmpDir;
beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('cli-vp-hint');
});
afterAll(async () => {
  await tmp.cleanup();
});

it('a speaker who is not enrolled is unknown; the closest voiceprint is a hint with its reason', async () => {
  const db = join(tmp.path, 'katie-only.db');
  const enroll = await runCli(
    'voiceprints',
    'enroll',
    '--db',
    db,
    '--create',
    '--name',
    'Katie',
    '--consent',
    'public dev recording',
    devFile('voiceprint/azure_katie/enrollment_audio_katie.wav'),
  );
  expect(enroll.code, enroll.err).toBe(0);
  // Steve is not in the library: his recording must not be named Katie
  const steve = devFile('voiceprint/azure_steve/enrollment_audio_steve.wav');
  const json = await runCli('voiceprints', 'identify', '--db', db, '--json', steve);
  expect(json.code, json.err).toBe(0);
  const [res] = JSON.parse(json.out) as { speakers: Record<string, Identification> }[];
  const ids = Object.values(res.speakers);
  expect(ids.length).toBeGreaterThan(0);
  const encoder = voiceprintModelId();
  const op = operatingPointFor(encoder);
  for (const i of ids) {
    expect(i).toMatchObject({ status: 'unknown', modelId: encoder, threshold: op.threshold });
    expect(i.label).toMatch(/^Unknown \d+$/);
    expect(i.best?.name).toBe('Katie');
    expect(i.best!.score).toBeLessThan(op.threshold);
    expect(i.reason).toMatch(/closest voiceprint Katie is below the decision threshold .*: a hint only$/);
    if (op.calibration) expect(i.probability).toBeLessThan(0.5);
  }
  const text = await runCli('voiceprints', 'identify', '--db', db, steve);
  expect(text.code, text.err).toBe(0);
  expect(text.out).toMatch(/Unknown 1\s+similarity -?\d\.\d{3}.*\(closest: Katie, a hint only\)/);
  expect(text.out).not.toMatch(/^\s+\S+\s+Katie\s/m);
});

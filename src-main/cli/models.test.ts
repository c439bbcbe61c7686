/**
 * `callscope models list | install --from | verify | remove` in-process with `--json`, on real
 * model files from shared/models installed into a temporary user model folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import type { ModelStatus, ModelVerifyResult } from '../../src-shared/contracts/services.ts';
import { clearModelCache } from '../engine/inference/registry.ts';
import { createTmpDir, type TmpDir, useSharedModels } from '../test-support.ts';
import { runCli } from './in-process.ts';

let tmp: TmpDir;
let shared: string;
beforeAll(async () => {
  shared = useSharedModels();
  tmp = await createTmpDir('cli-models');
  process.env.CALLSCOPE_USER_MODELS_DIR = join(tmp.path, 'user');
  clearModelCache();
});
afterAll(async () => {
  delete process.env.CALLSCOPE_USER_MODELS_DIR;
  await tmp.cleanup();
});

const cli = runCli;

it('list, install --from, verify (ok, then corrupted), remove with --json', async () => {
  const list = await cli('models', 'list', '--json');
  expect(list.code).toBe(0);
  const models = JSON.parse(list.out) as ModelStatus[];
  expect(models.map((m) => m.role)).toEqual(
    [...models.map((m) => m.role)].sort((a, b) => {
      const order = ['vad', 'segmentation', 'embedding', 'agegender'];
      return order.indexOf(a) - order.indexOf(b);
    }),
  );
  for (const id of [
    '3dspeaker-campplus-en-voxceleb',
    'wespeaker-resnet34-en-voxceleb',
    'pyannote-segmentation-3.0-fp32',
    'audeering-w2v2-large-robust-6-age-gender',
  ])
    expect(models.find((m) => m.id === id)?.state).toBe('available');
  expect(models.find((m) => m.id === 'pyannote-segmentation-3.0-fp32')?.bytes).toBe(5_992_913);

  const table = await cli('models', 'list');
  expect(table.out).toMatch(/audeering-w2v2-large-robust-6-age-gender/);
  expect(table.out).toContain(join(tmp.path, 'user'));

  const wrong = await cli('models', 'install', 'silero-vad-v5', '--from', join(shared, 'silero_vad_v6.onnx'));
  expect(wrong.code).toBe(1);
  expect(wrong.err).toMatch(/^error: model silero-vad-v5: sha256 [0-9a-f]{64} does not match/);

  const nc = await cli(
    'models',
    'install',
    'audeering-w2v2-large-robust-6-age-gender',
    '--from',
    join(shared, 'silero_vad_v5.onnx'),
  );
  expect(nc.code).toBe(1);
  expect(nc.err).toMatch(/CC-BY-NC-SA-4\.0.*--accept-license/);

  const inst = await cli(
    'models',
    'install',
    'silero-vad-v5',
    '--from',
    join(shared, 'silero_vad_v5.onnx'),
    '--json',
  );
  expect(inst.code).toBe(0);
  const s = JSON.parse(inst.out) as ModelStatus;
  expect(s).toMatchObject({ id: 'silero-vad-v5', state: 'installed', trust: 'manifest' });
  expect(s.path).toBe(join(tmp.path, 'user', 'silero_vad_v5.onnx'));

  const ok = await cli('models', 'verify', '--json');
  expect(ok.code).toBe(0);
  expect((JSON.parse(ok.out) as ModelVerifyResult[]).every((r) => r.ok)).toBe(true);

  const bytes = await readFile(s.path!);
  bytes[bytes.length - 1] ^= 0x55;
  await writeFile(s.path!, bytes);
  const bad = await cli('models', 'verify', '--json');
  expect(bad.code).toBe(1);
  const results = JSON.parse(bad.out) as ModelVerifyResult[];
  expect(results.filter((r) => !r.ok).map((r) => r.id)).toEqual(['silero-vad-v5']);
  expect(bad.err).toMatch(/^error: model silero-vad-v5: sha256 mismatch/);

  const rm = await cli('models', 'remove', 'silero-vad-v5', '--json');
  expect(rm.code).toBe(0);
  expect((JSON.parse(rm.out) as ModelStatus).state).toBe('external'); // the CALLSCOPE_MODELS_DIR copy
  const rmDefault = await cli('models', 'remove', 'pyannote-segmentation-3.0-int8');
  expect(rmDefault.code).toBe(1);
  expect(rmDefault.err).toMatch(/default segmentation model; it cannot be removed/);
});

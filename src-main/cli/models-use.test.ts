/**
 * The whole optional-model path a user takes on the command line, offline: `models install <id>
 * --from <file>` → `models use <id>` → `analyze` (the result names the model and its execution
 * provider) → `analyze --model <other>` for one run → `models remove` (the role goes back to the
 * default). Real files: the models folder holds only the defaults (copies of shared/models), so
 * Silero VAD v5 is usable only after its install.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';
import type { ModelStatus, ProviderStatus } from '../../src-shared/contracts/services.ts';
import { APP_ROOT, clearModelCache } from '../engine/inference/registry.ts';
import { createTmpDir, type TmpDir, useSharedModels } from '../test-support.ts';
import { runCli } from './in-process.ts';

let tmp: TmpDir;
let shared: string;
const SAMPLE = join(APP_ROOT, 'resources', 'sample-call.ogg');

beforeAll(async () => {
  shared = useSharedModels();
  tmp = await createTmpDir('cli-models-use');
  const defaults = join(tmp.path, 'defaults');
  await mkdir(defaults);
  for (const f of ['silero_vad_v6.onnx', 'pyannote_segmentation_3_0_int8.onnx'])
    await copyFile(join(shared, f), join(defaults, f));
  process.env.CALLSCOPE_MODELS_DIR = defaults;
  process.env.CALLSCOPE_USER_MODELS_DIR = join(tmp.path, 'user');
  clearModelCache();
});
afterAll(async () => {
  delete process.env.CALLSCOPE_USER_MODELS_DIR;
  useSharedModels();
  clearModelCache();
  await tmp.cleanup();
});

const cli = runCli;

const vadOf = (out: string): AnalysisResult['models'][number] | undefined =>
  (JSON.parse(out) as AnalysisResult).models.find((m) => m.role === 'vad');

it('install --from, use, analyze with it (model and provider in the result), --model override, remove', async () => {
  const refused = await cli('models', 'use', 'silero-vad-v5');
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(/silero-vad-v5 cannot be used: it is not installed/);

  const inst = await cli(
    'models',
    'install',
    'silero-vad-v5',
    '--from',
    join(shared, 'silero_vad_v5.onnx'),
    '--json',
  );
  expect(inst.code).toBe(0);
  expect((JSON.parse(inst.out) as ModelStatus).state).toBe('installed');

  const use = await cli('models', 'use', 'silero-vad-v5', '--json');
  expect(use.code).toBe(0);
  expect((JSON.parse(use.out) as ModelStatus).active).toBe(true);
  const list = JSON.parse((await cli('models', 'list', '--json')).out) as ModelStatus[];
  expect(list.filter((m) => m.role === 'vad' && m.active).map((m) => m.id)).toEqual(['silero-vad-v5']);

  const a = await cli('analyze', SAMPLE, '--format', 'json', '-q');
  expect(a.code).toBe(0);
  const vad = vadOf(a.out);
  expect(vad?.id).toBe('silero-vad-v5');
  expect(vad?.provider?.name).toBe('cpu');

  const b = await cli('analyze', SAMPLE, '--format', 'json', '-q', '--model', 'silero-vad-v6');
  expect(b.code).toBe(0);
  expect(vadOf(b.out)?.id).toBe('silero-vad-v6');

  const wrongRole = await cli('analyze', SAMPLE, '-q', '--model', 'pyannote-segmentation-3.0-int8', 'nope');
  expect(wrongRole.code).toBe(2);
  expect(wrongRole.err).toMatch(/--model nope: unknown model id/);

  expect((await cli('models', 'remove', 'silero-vad-v5')).code).toBe(0);
  const after = JSON.parse((await cli('models', 'list', '--json')).out) as ModelStatus[];
  expect(after.find((m) => m.id === 'silero-vad-v6')?.active).toBe(true);
  const c = await cli('analyze', SAMPLE, '--format', 'json', '-q');
  expect(vadOf(c.out)?.id).toBe('silero-vad-v6');

  const reset = await cli('models', 'use', '--default', 'nonsense');
  expect(reset.code).toBe(1);
  expect(reset.err).toMatch(/unknown role "nonsense"/);
});

it('providers saved in Settings apply to the next analysis; cuda falls back to cpu with the reason recorded', async () => {
  const set = await cli('models', 'providers', '--set', 'agegender=cuda,cpu', '--json');
  expect(set.code).toBe(0);
  const st = JSON.parse(set.out) as ProviderStatus;
  expect(st.saved).toEqual({ agegender: ['cuda', 'cpu'] });
  expect(st.effective.agegender).toEqual({ order: ['cuda', 'cpu'], source: 'settings' });
  expect(st.available.find((a) => a.name === 'cpu')?.usable).toBe(true);

  const a = await cli('analyze', SAMPLE, '--format', 'json', '-q');
  expect(a.code).toBe(0);
  const ag = (JSON.parse(a.out) as AnalysisResult).models.find((m) => m.role === 'agegender');
  expect(ag?.provider?.requested).toEqual(['cuda', 'cpu']);
  // this machine has no CUDA provider library: the session runs on cpu and says why
  expect(ag?.provider?.name).toBe('cpu');
  expect(ag?.provider?.skipped.map((x) => x.name)).toEqual(['cuda']);
  expect(ag?.provider?.skipped[0].reason).toMatch(/cuda/);

  // a CLI --providers for one run wins over the saved order
  const b = await cli('analyze', SAMPLE, '--format', 'json', '-q', '--providers', 'cpu');
  const ag2 = (JSON.parse(b.out) as AnalysisResult).models.find((m) => m.role === 'agegender');
  expect(ag2?.provider?.requested).toEqual(['cpu']);

  expect((await cli('models', 'providers', '--set', 'tpu')).err).toMatch(/unknown execution provider "tpu"/);
  const reset = JSON.parse((await cli('models', 'providers', '--reset', '--json')).out) as ProviderStatus;
  expect(reset.saved).toBeNull();
});

/**
 * `callscope analyze --providers`: the execution provider of every role and the reason earlier
 * providers were skipped reach the JSON result and the text output; a bad provider name is a
 * usage error naming it. Real models (shared/models) and a real dev recording (18.6 s).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';
import { runtimeBackends } from '../engine/inference/onnx.ts';
import { providerPrecheck } from '../engine/inference/providers.ts';
import { createTmpDir, devFile, type TmpDir, useSharedModels } from '../test-support.ts';
import { buildProgram } from './main.ts';

let tmp: TmpDir;
let good: string;

beforeAll(async () => {
  useSharedModels();
  good = devFile('diarization/falcon_test.wav');
  tmp = await createTmpDir('cli-providers');
});
afterAll(async () => {
  await tmp?.cleanup();
});

/** Runs the CLI with captured output. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = buildProgram({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, (c) => (code = c));
  try {
    await program.parseAsync(['node', 'callscope', ...args]);
  } catch (e) {
    const c = e as { code?: string; exitCode?: number };
    if (!c.code?.startsWith('commander.')) throw e;
    code = 2;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('callscope analyze --providers', () => {
  it('records each role’s provider and the CUDA fallback reason in the JSON and the text output', async () => {
    const cudaMissing = providerPrecheck('cuda', runtimeBackends());
    const r = await run(['analyze', '-q', '--providers', 'cuda,cpu;vad=cpu', '--out', tmp.path, good]);
    // nothing on stderr but the paths of the written reports
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith(`wrote ${tmp.path}/`))).toEqual([]);
    expect(r.code).toBe(0);
    const result = JSON.parse(await readFile(join(tmp.path, 'falcon_test.json'), 'utf8')) as AnalysisResult;
    const byRole = Object.fromEntries(result.models.map((m) => [m.role, m.provider]));
    expect(Object.keys(byRole).sort()).toEqual(['agegender', 'embedding', 'segmentation', 'vad']);
    expect(byRole.vad).toEqual({ name: 'cpu', requested: ['cpu'], skipped: [], reason: 'default' });
    expect(byRole.segmentation!.requested).toEqual(['cuda', 'cpu']);
    if (cudaMissing) {
      expect(byRole.segmentation).toMatchObject({
        name: 'cpu',
        skipped: [{ name: 'cuda', reason: cudaMissing }],
      });
      expect(byRole.agegender).toMatchObject({
        name: 'cpu',
        skipped: [{ name: 'cuda', reason: cudaMissing }],
      });
      expect(result.executionProvider.name).toBe('cpu');
      expect(result.executionProvider.reason).toContain(
        `segmentation: cpu (cuda unavailable: ${cudaMissing})`,
      );
      expect(r.stdout).toContain(
        `providers: vad: cpu · segmentation: cpu (cuda unavailable: ${cudaMissing})`,
      );
    } else {
      expect(byRole.segmentation).toMatchObject({ name: 'cuda', skipped: [] });
      expect(r.stdout).toContain('segmentation: cuda');
    }
    // the default embedding backend is model-free and says so
    if (result.models.find((m) => m.role === 'embedding')!.id === 'fbank-stats') {
      expect(byRole.embedding).toMatchObject({ name: 'none', reason: 'model-free backend' });
    }
  });

  it('rejects an unknown provider or role before loading anything, naming it', async () => {
    const bad = await run(['analyze', '-q', '--providers', 'cuda,gpu', good]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--providers: unknown execution provider "gpu" \(known: cpu, cuda/);
    const role = await run(['analyze', '-q', '--providers', 'speaker=cuda', good]);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/unknown model role "speaker"/);
  });
});

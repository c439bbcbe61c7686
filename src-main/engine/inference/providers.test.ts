/**
 * Execution-provider selection and fallback on CPU: parsing of orders (settings, `--providers`,
 * `CALLSCOPE_PROVIDERS`, `CALLSCOPE_EP`), the pre-check that explains why a provider cannot work in
 * this onnxruntime-node install, and real sessions on a generated fixture that record the provider
 * they run on and why earlier ones were skipped.
 */
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { ModelUse } from '../../../src-shared/contracts/analysis.ts';
import { providerLine, providerLines, providerSummary } from '../../../src-shared/formats/providers.ts';
import { OnnxModel, runtimeBackends } from './onnx.ts';
import {
  parseProviderList,
  parseProviderSpec,
  ProviderConfigError,
  providerOrderFor,
  providerPrecheck,
  validateProviderSettings,
} from './providers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/wav2vec2_agegender.onnx', import.meta.url));

describe('provider orders', () => {
  it('keeps the order given and is case/space-insensitive', () => {
    expect(parseProviderList(' CUDA, dml ,coreml,cpu', 'test')).toEqual(['cuda', 'dml', 'coreml', 'cpu']);
    expect(parseProviderList('cpu,cuda', 'test')).toEqual(['cpu', 'cuda']);
  });

  it('rejects an unknown provider name with a clear error naming it and the known ones', () => {
    expect(() => parseProviderList('cuda,gpu', '--providers')).toThrow(ProviderConfigError);
    expect(() => parseProviderList('cuda,gpu', '--providers')).toThrow(
      /--providers: unknown execution provider "gpu" \(known: cpu, cuda, tensorrt, dml, coreml, webgpu\)/,
    );
    expect(() => parseProviderList(' , ', '--providers')).toThrow(/empty execution-provider list/);
    expect(() => parseProviderList('cuda,cpu,cuda', 'x')).toThrow(/"cuda" listed twice/);
  });

  it('parses per-role specs and rejects unknown roles', () => {
    expect(parseProviderSpec('cuda,cpu', 's')).toEqual({ default: ['cuda', 'cpu'] });
    expect(parseProviderSpec('embedding=cuda,cpu; agegender=dml ;vad=cpu', 's')).toEqual({
      embedding: ['cuda', 'cpu'],
      agegender: ['dml'],
      vad: ['cpu'],
    });
    expect(parseProviderSpec('cuda;vad=cpu', 's')).toEqual({ default: ['cuda'], vad: ['cpu'] });
    expect(() => parseProviderSpec('speech=cuda', 's')).toThrow(/unknown model role "speech"/);
    expect(() => parseProviderSpec('vad=cpu;vad=cuda', 's')).toThrow(/"vad" given twice/);
    expect(() => validateProviderSettings({ embedding: ['cuda', 'npu'] }, 'settings')).toThrow(
      /settings \(embedding\): unknown execution provider "npu"/,
    );
    expect(validateProviderSettings({ default: ['coreml'] }, 'settings')).toEqual({ default: ['coreml'] });
  });

  it('takes settings over CALLSCOPE_PROVIDERS over CALLSCOPE_EP, per role, with cpu as last resort', () => {
    const env = { CALLSCOPE_PROVIDERS: 'dml;embedding=cuda', CALLSCOPE_EP: 'coreml' };
    expect(providerOrderFor('embedding', { embedding: ['tensorrt', 'cuda'] }, env)).toEqual({
      order: ['tensorrt', 'cuda', 'cpu'],
      source: 'settings',
    });
    expect(providerOrderFor('vad', { embedding: ['cuda'] }, env)).toEqual({
      order: ['dml', 'cpu'],
      source: 'CALLSCOPE_PROVIDERS',
    });
    expect(providerOrderFor('embedding', undefined, env).order).toEqual(['cuda', 'cpu']);
    expect(providerOrderFor('vad', undefined, { CALLSCOPE_EP: 'coreml' })).toEqual({
      order: ['coreml', 'cpu'],
      source: 'CALLSCOPE_EP',
    });
    expect(providerOrderFor('vad', undefined, {})).toEqual({ order: ['cpu'], source: 'default' });
    // cpu first stays first: the user asked for it
    expect(providerOrderFor('vad', { default: ['cpu', 'cuda'] }, {}).order).toEqual(['cpu', 'cuda']);
    expect(() => providerOrderFor('vad', undefined, { CALLSCOPE_PROVIDERS: 'cuda,tpu' })).toThrow(
      /CALLSCOPE_PROVIDERS: unknown execution provider "tpu"/,
    );
  });
});

describe('provider pre-check', () => {
  const rt = {
    backends: [
      { name: 'cpu', bundled: true },
      { name: 'cuda', bundled: false },
    ],
    libraryDir: '/ort/bin',
    platform: 'linux',
  };

  it('skips a provider this build lacks, naming what it has', () => {
    expect(providerPrecheck('dml', rt)).toBe('not in this onnxruntime-node build (linux: cpu, cuda)');
  });

  it('skips CUDA when its provider library is not installed, and tries it when it is', () => {
    expect(providerPrecheck('cuda', rt, () => false)).toMatch(
      /^libonnxruntime_providers_cuda\.so not installed \(ONNXRUNTIME_NODE_INSTALL=cuda12, README "GPU"\)$/,
    );
    const seen: string[] = [];
    expect(providerPrecheck('cuda', rt, (p) => (seen.push(p), true))).toBeNull();
    expect(seen).toEqual(['/ort/bin/libonnxruntime_providers_cuda.so']);
    expect(providerPrecheck('cpu', { ...rt, backends: [] })).toBeNull();
  });

  it('sees this install as it is: cpu bundled, the binding folder exists', () => {
    const real = runtimeBackends();
    expect(real.backends.find((b) => b.name === 'cpu')?.bundled).toBe(true);
    expect(real.libraryDir).toMatch(/onnxruntime-node[/\\]bin[/\\]napi-v6/);
  });
});

describe('sessions record the provider they run on', () => {
  it('CPU by default, reason "default"', async () => {
    const saved = { p: process.env.CALLSCOPE_PROVIDERS, e: process.env.CALLSCOPE_EP };
    delete process.env.CALLSCOPE_PROVIDERS;
    delete process.env.CALLSCOPE_EP;
    try {
      const m = await OnnxModel.loadPath(FIXTURE, { intraOpThreads: 1 });
      expect(m.provider).toEqual({ name: 'cpu', requested: ['cpu'], skipped: [], reason: 'default' });
      await m.release();
    } finally {
      if (saved.p !== undefined) process.env.CALLSCOPE_PROVIDERS = saved.p;
      if (saved.e !== undefined) process.env.CALLSCOPE_EP = saved.e;
    }
  });

  it('requested CUDA falls back to CPU with the reason when CUDA is not installed (here), or runs on it', async () => {
    const cudaMissing = providerPrecheck('cuda', runtimeBackends());
    const m = await OnnxModel.loadPath(FIXTURE, {
      role: 'embedding',
      providers: { embedding: ['cuda'], default: ['dml'] },
    });
    expect(m.provider.requested).toEqual(['cuda', 'cpu']);
    if (cudaMissing) {
      expect(m.provider.name).toBe('cpu');
      expect(m.provider.skipped).toEqual([{ name: 'cuda', reason: cudaMissing }]);
      expect(m.provider.reason).toBe(`fallback: cuda unavailable (${cudaMissing})`);
    } else {
      expect(m.provider).toMatchObject({ name: 'cuda', skipped: [], reason: 'requested' });
    }
    // the session works on whichever provider it got
    const out = await m.run({ signal: { data: Float32Array.from([0.5, -1, 2]), dims: [1, 3] } });
    expect(out.logits_age.data[0]).toBeCloseTo(0.5);
    await m.release();
  });

  it('walks the whole order: providers absent from this platform are skipped with their reason', async () => {
    const m = await OnnxModel.loadPath(FIXTURE, { providers: { default: ['coreml', 'dml', 'cpu'] } });
    if (process.platform === 'linux') {
      expect(m.provider.name).toBe('cpu');
      expect(m.provider.skipped.map((s) => s.name)).toEqual(['coreml', 'dml']);
      for (const s of m.provider.skipped) expect(s.reason).toMatch(/^not in this onnxruntime-node build/);
      expect(m.provider.reason).toMatch(/^fallback: coreml unavailable \(not in this onnxruntime-node build/);
    }
    await m.release();
  });

  it("the role's own order wins over the default entry", async () => {
    const m = await OnnxModel.loadPath(FIXTURE, {
      role: 'agegender',
      providers: { agegender: ['cpu'], default: ['dml'] },
    });
    expect(m.provider).toMatchObject({ name: 'cpu', requested: ['cpu'], skipped: [] });
    await m.release();
  });
});

describe('provider lines for the CLI and the result view', () => {
  const cpu: ModelUse['provider'] = { name: 'cpu', requested: ['cpu'], skipped: [], reason: 'default' };
  const fellBack: ModelUse['provider'] = {
    name: 'cpu',
    requested: ['cuda', 'cpu'],
    skipped: [{ name: 'cuda', reason: 'libonnxruntime_providers_cuda.so not installed' }],
    reason: 'fallback: cuda unavailable (libonnxruntime_providers_cuda.so not installed)',
  };
  const models: ModelUse[] = [
    { role: 'vad', id: 'v', version: '1', sha256: null, provider: cpu },
    { role: 'embedding', id: 'e', version: '1', sha256: null, provider: fellBack },
    {
      role: 'agegender',
      id: 'a',
      version: '1',
      sha256: null,
      provider: { name: 'none', requested: [], skipped: [], reason: 'model-free backend' },
    },
    { role: 'segmentation', id: 's', version: '1', sha256: null },
  ];

  it('says which provider each role used and why others were skipped', () => {
    expect(providerLine('embedding', fellBack)).toBe(
      'embedding: cpu (cuda unavailable: libonnxruntime_providers_cuda.so not installed)',
    );
    expect(providerLines(models)).toEqual([
      'vad: cpu',
      'embedding: cpu (cuda unavailable: libonnxruntime_providers_cuda.so not installed)',
      'agegender: a (model-free backend, TypeScript on the CPU)',
    ]);
  });

  it('summarises the roles: default when all ran on CPU as asked, else the deviating roles', () => {
    expect(providerSummary([models[0], models[2]])).toEqual({ name: 'cpu', reason: 'default' });
    expect(providerSummary(models)).toEqual({
      name: 'cpu',
      reason: 'embedding: cpu (cuda unavailable: libonnxruntime_providers_cuda.so not installed)',
    });
    const onCuda: ModelUse = {
      ...models[1],
      provider: { name: 'cuda', requested: ['cuda', 'cpu'], skipped: [], reason: 'requested' },
    };
    expect(providerSummary([models[0], onCuda]).name).toBe('cpu+cuda');
  });
});

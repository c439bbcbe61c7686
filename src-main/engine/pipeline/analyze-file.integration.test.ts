/**
 * End-to-end analysis with the real models on real dev recordings (shared/data/dev, DATA.md):
 * speaker counts, DER against the human RTTMs, two-channel roles, and the invariants every
 * result must satisfy. Runtime ≈ 15 s on an idle 2-core machine (the stereo call is cut to 60 s).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AnalysisResult } from '../../../src-shared/contracts/analysis.ts';
import { parseRttm, type SpeakerSegment } from '../../../src-shared/formats/rttm.ts';
import { diarizationErrorRate } from '../eval/der.ts';
import { type TmpDir, createTmpDir, devFile, ffmpeg, useSharedModels } from '../../test-support.ts';
import { type EngineModels, analyzeFile, loadEngineModels } from './analyze-file.ts';

/** Reference turns of the single file id in an RTTM. */
function referenceTurns(rttmPath: string): SpeakerSegment[] {
  const byFile = parseRttm(readFileSync(rttmPath, 'utf8'));
  expect(byFile.size, rttmPath).toBe(1);
  return [...byFile.values()][0];
}

const hypothesis = (r: AnalysisResult): SpeakerSegment[] =>
  r.turns.map((t) => ({ start: t.startS, end: t.endS, speaker: t.speakerId }));

/** Invariants of every analysis result. */
function expectValidResult(r: AnalysisResult): void {
  expect(r.durationS).toBeGreaterThan(0);
  for (let i = 0; i < r.turns.length; i++) {
    const t = r.turns[i];
    expect(t.startS).toBeGreaterThanOrEqual(0);
    expect(t.endS).toBeGreaterThan(t.startS);
    expect(t.endS).toBeLessThanOrEqual(r.durationS);
    if (i > 0) expect(t.startS, `turn ${i} sorted by start`).toBeGreaterThanOrEqual(r.turns[i - 1].startS);
  }
  const ids = new Set(r.speakers.map((s) => s.id));
  expect(ids.size, 'speaker ids are unique').toBe(r.speakers.length);
  for (const s of r.speakers) {
    const own = r.turns.filter((t) => t.speakerId === s.id);
    expect(own.length, `${s.id} has turns`).toBeGreaterThan(0);
    for (let i = 1; i < own.length; i++) {
      expect(own[i].startS, `${s.id}: turns ${i - 1} and ${i} overlap`).toBeGreaterThanOrEqual(
        own[i - 1].endS,
      );
    }
    const sum = own.reduce((acc, t) => acc + (t.endS - t.startS), 0);
    expect(Math.abs(s.speechS - sum), `${s.id}: speechS ${s.speechS} vs Σ turns ${sum}`).toBeLessThanOrEqual(
      0.01,
    );
    for (const t of own) expect(t.channel).toBe(s.channel);
  }
  for (const t of r.turns) expect(ids.has(t.speakerId), t.speakerId).toBe(true);
  expect(r.quality).toHaveLength(r.channels.length);
  expect(r.quality.map((q) => q.channel)).toEqual(r.channels);
  expect(r.timingsMs.total).toBeGreaterThan(0);
  expect(r.rtf).toBeGreaterThan(0);
}

let models: EngineModels;
let tmp: TmpDir;

beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('analyze-integration');
  models = await loadEngineModels();
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe('analyzeFile on dev recordings (real models)', () => {
  // The automatic count on falcon_test sits close to the baseline's clustering threshold (3 at
  // 0.08, 2 at 0.1: bench/README.md); the known count exercises --num-speakers.
  it('falcon_test.wav with numSpeakers 3: 3 speakers, DER ≤ 10 %', async () => {
    const file = devFile('diarization/falcon_test.wav');
    const r = await analyzeFile(file, models, { numSpeakers: 3 });
    expectValidResult(r);
    expect(r.channels).toEqual(['mono']);
    const der = diarizationErrorRate(referenceTurns(devFile('diarization/falcon_test.rttm')), hypothesis(r));
    const got = `${r.speakers.length} speakers, DER ${(100 * der.der).toFixed(1)} %`;
    expect(r.speakers, got).toHaveLength(3);
    expect(der.der, got).toBeLessThanOrEqual(0.1);
  });

  it('pyannote_sample.wav: 2 speakers, DER ≤ 25 %', async () => {
    const file = devFile('diarization/pyannote_sample.wav');
    const r = await analyzeFile(file, models);
    expectValidResult(r);
    const der = diarizationErrorRate(
      referenceTurns(devFile('diarization/pyannote_sample.rttm')),
      hypothesis(r),
    );
    const got = `${r.speakers.length} speakers, DER ${(100 * der.der).toFixed(1)} %`;
    expect(r.speakers, got).toHaveLength(2);
    // measured 13.2 % with the fbank-stats baseline embedding
    expect(der.der, got).toBeLessThanOrEqual(0.25);
  });

  it('aws_lca stereo call (first 60 s, 8 kHz): you on the mic channel, the caller on system', async () => {
    // ch0 = agent (mic, local user), ch1 = caller (system), per DATA.md; cut to 60 s for runtime,
    // stream-copied so the samples stay bit-exact
    const full = devFile('stereo/aws_lca_auto_repairs_40_stereo.wav');
    const file = join(tmp.path, 'aws_lca_auto_repairs_40_stereo_60s.wav');
    ffmpeg(['-i', full, '-t', '60', '-c', 'copy', file]);
    const r = await analyzeFile(file, models);
    expectValidResult(r);
    expect(r.channels).toEqual(['mic', 'system']);
    expect(r.sourceChannels).toBe(2);
    expect(r.sourceSampleRate).toBe(8000);
    const you = r.speakers.filter((s) => s.id === 'you');
    expect(you).toHaveLength(1);
    expect(you[0].channel).toBe('mic');
    expect(r.speakers.filter((s) => s.channel === 'system').length).toBeGreaterThanOrEqual(1);
    expect(r.turns.filter((t) => t.speakerId === 'you').every((t) => t.channel === 'mic')).toBe(true);
    for (const q of r.quality) expect(q.flags).toContain('narrowband');

    const ref = referenceTurns(devFile('stereo/aws_lca_auto_repairs_40_stereo.rttm'));
    const der = diarizationErrorRate(ref, hypothesis(r), { uem: { start: 0, end: r.durationS } });
    expect(der.mapping.you).toBe('agent_ch0');
    // measured 12.3 % (energy-VAD reference timings; collar 0)
    expect(der.der, `DER ${(100 * der.der).toFixed(1)} %`).toBeLessThanOrEqual(0.2);
  });
});

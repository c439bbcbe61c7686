/**
 * Builds the AS-norm impostor cohorts shipped in `models/<model id>.cohort.json` (see
 * src-main/engine/voiceprints/score-norm.ts): one speaker-mean embedding per training speaker of
 * `shared/data/train` (speakers disjoint from dev and held-out by construction of that corpus),
 * for each voiceprint encoder. Only corpora whose licence is confirmed are used (the same
 * exclusions as the trained encoder: VoxCeleb1 and VCC 2016 are left out; models/MODEL_CARD.md).
 *
 * Each file goes through the same path as an enrollment (ffmpeg → Silero VAD → Kaldi fbank of
 * the speech → encoder); a speaker's embedding is the L2-normalised mean of its files'
 * L2-normalised embeddings (at most FILES_PER_SPEAKER files, in manifest order).
 *
 *   CALLSCOPE_MODELS_DIR=../shared/models node --import tsx scripts/voiceprint-cohort.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createEmbeddingBackend } from '../src-main/engine/diarization/embedding.ts';
import { OnnxModel } from '../src-main/engine/inference/onnx.ts';
import { defaultModelId } from '../src-main/engine/inference/registry.ts';
import { l2normalize } from '../src-main/engine/voiceprints/identify.ts';
import { cohortPath, cohortToFile, DEFAULT_TOP_K } from '../src-main/engine/voiceprints/score-norm.ts';
import { speechFeatures } from '../src-main/engine/voiceprints/speech-embedding.ts';

process.env.CALLSCOPE_MODELS_DIR ??= join(import.meta.dirname, '..', '..', 'shared', 'models');
const TRAIN =
  process.env.CALLSCOPE_TRAIN_DIR ?? join(import.meta.dirname, '..', '..', 'shared', 'data', 'train');
/**
 * Encoders to build cohorts for (`COHORT_ENCODERS=a,b`; default: every cohort-scored encoder).
 * A cohort is rebuilt only when asked: rebuilding one changes its AS-norm scores, so the encoder's
 * calibration (`npm run eval:voiceprints`) must be refitted after it.
 */
const ENCODERS = (
  process.env.COHORT_ENCODERS ?? 'callscope_spk_encoder_v2,callscope_spk_encoder_v1,fbank-stats'
).split(',');
/** Corpora left out: licence not confirmed for product use (train/README.md, MODEL_CARD.md). */
const EXCLUDED_CORPORA = new Set(['voxceleb1', 'vcc2016']);
const FILES_PER_SPEAKER = Number(process.env.COHORT_FILES_PER_SPEAKER ?? 3);
/** Speakers need this much VAD speech over their files to enter the cohort, seconds. */
const MIN_SPEECH_S = 8;
/**
 * A speaker's files stop once this much VAD speech is reached (`COHORT_ENOUGH_SPEECH_S`, seconds;
 * default: no stop, up to {@link FILES_PER_SPEAKER} files). Lower values cut CPU time (the v2
 * cohort used 10 s on a shared machine).
 */
const ENOUGH_SPEECH_S = Number(process.env.COHORT_ENOUGH_SPEECH_S ?? Infinity);

interface Row {
  path: string;
  corpus: string;
  speaker: string;
  license: string;
}

/** Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function readManifest(): Row[] {
  const [head, ...lines] = readFileSync(join(TRAIN, 'manifest.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  const at = (name: string): number => cols.indexOf(name);
  return lines.map((l) => {
    const c = splitCsvLine(l);
    return {
      path: c[at('path')],
      corpus: c[at('corpus')],
      speaker: c[at('speaker')],
      license: c[at('license')],
    };
  });
}

/** Corpora skipped for CPU time only (`COHORT_SKIP_CORPORA=a,b`; recorded in the provenance). */
const SKIPPED_CORPORA = (process.env.COHORT_SKIP_CORPORA ?? '').split(',').filter(Boolean);
const rows = readManifest().filter(
  (r) => !EXCLUDED_CORPORA.has(r.corpus) && !SKIPPED_CORPORA.includes(r.corpus),
);
/**
 * Every n-th speaker of the manifest is used (`COHORT_SPEAKER_STRIDE`, default 1: all), an even
 * subsample across corpora that cuts CPU time (recorded in the provenance).
 */
const STRIDE = Math.max(1, Math.floor(Number(process.env.COHORT_SPEAKER_STRIDE ?? 1)));
const allSpeakers = new Map<string, Row[]>();
for (const r of rows) allSpeakers.set(r.speaker, [...(allSpeakers.get(r.speaker) ?? []), r]);
const bySpeaker = new Map([...allSpeakers].filter((_, i) => i % STRIDE === 0));
const vadModel = await OnnxModel.load(defaultModelId('vad') ?? 'silero-vad-v6', { intraOpThreads: 1 });
const encoders = await Promise.all(ENCODERS.map((id) => createEmbeddingBackend(id)));
const sums = encoders.map(() => new Map<string, Float64Array>());
const used: { speaker: string; corpus: string; files: number; speechS: number }[] = [];
const t0 = performance.now();
let done = 0;
for (const [speaker, files] of bySpeaker) {
  let speechS = 0;
  const perEnc = encoders.map((e) => new Float64Array(e.dim));
  let n = 0;
  for (const f of files.slice(0, FILES_PER_SPEAKER)) {
    const s = await speechFeatures(join(TRAIN, f.path), { vadModel });
    speechS += s.speechS;
    for (const [k, enc] of encoders.entries()) {
      if (s.feats.length / 80 < enc.minFrames) continue;
      const v = l2normalize(await enc.embed(Float32Array.from(s.feats)));
      for (let i = 0; i < v.length; i++) perEnc[k][i] += v[i];
    }
    n++;
    if (speechS >= ENOUGH_SPEECH_S) break;
  }
  if (speechS >= MIN_SPEECH_S) {
    perEnc.forEach((v, k) => sums[k].set(speaker, v));
    used.push({ speaker, corpus: files[0].corpus, files: n, speechS: Math.round(speechS * 10) / 10 });
  }
  if (++done % 25 === 0)
    console.error(`${done}/${bySpeaker.size} speakers, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const corpora: Record<string, { speakers: number; license: string }> = {};
for (const u of used) {
  const lic = rows.find((r) => r.corpus === u.corpus)!.license;
  corpora[u.corpus] = { speakers: (corpora[u.corpus]?.speakers ?? 0) + 1, license: lic };
}
for (const [k, enc] of encoders.entries()) {
  const file = cohortToFile(
    enc.use.id,
    enc.use.version,
    used.map((u) => Float32Array.from(sums[k].get(u.speaker)!)),
    DEFAULT_TOP_K,
    {
      corpus: 'shared/data/train (manifest.csv); speakers disjoint from dev and held-out',
      excludedCorpora: [...EXCLUDED_CORPORA],
      ...(SKIPPED_CORPORA.length ? { skippedCorpora: SKIPPED_CORPORA } : {}),
      ...(STRIDE > 1 ? { speakerStride: STRIDE } : {}),
      corpora,
      speakers: used.length,
      filesPerSpeaker: FILES_PER_SPEAKER,
      ...(Number.isFinite(ENOUGH_SPEECH_S) ? { stopAtSpeechS: ENOUGH_SPEECH_S } : {}),
      minSpeechS: MIN_SPEECH_S,
      embedding: 'L2-normalised mean of per-file embeddings (VAD speech, as in enrollment)',
      script: 'scripts/voiceprint-cohort.ts',
    },
  );
  writeFileSync(cohortPath(enc.use.id), JSON.stringify(file) + '\n');
  console.error(`${cohortPath(enc.use.id)}: ${file.count} speakers × ${file.dim}`);
}

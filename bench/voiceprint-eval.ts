/**
 * Dev voiceprint evaluation (`npm run eval:voiceprints`), per available encoder, with and
 * without AS-norm (src-main/engine/voiceprints/score-norm.ts):
 *  - the dev protocol of `shared/data/dev/voiceprint/speakers.csv` (enroll on `enroll` files, test
 *    every `test` file against every enrolled speaker): EER, the operating point in use (FAR/FRR),
 *    closed-set top-1, open-set accuracy and leave-one-speaker-out impostor rejection; a sweep of
 *    the cohort's top-K;
 *  - the Katie/Steve conversations: all 7 dev speakers enrolled into a real SQLite library, each
 *    conversation analysed by the engine (diarization with the same encoder), speakers labelled
 *    from the library; both enrolled speakers must be named and no third name given.
 * Writes bench/results/voiceprint-eval.json and prints a summary.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { analyzeFile, loadEngineModels, speakerEmbeddingsOf } from '../src-main/engine/index.ts';
import { embedProtocol, readProtocol, scoreProtocol } from '../src-main/engine/voiceprints/protocol.ts';
import { openDb } from '../src-main/store/db.ts';
import { cosineOperatingPoint, operatingPointFor } from '../src-main/engine/voiceprints/identify.ts';
import { labelResult } from '../src-main/services/voiceprint-labels.ts';
import { shippedCohort } from '../src-main/engine/voiceprints/score-norm.ts';
import { embedSpeech } from '../src-main/engine/voiceprints/speech-embedding.ts';
import { createVoiceprint } from '../src-main/store/voiceprints.ts';

process.env.CALLSCOPE_MODELS_DIR ??= join(import.meta.dirname, '..', '..', 'shared', 'models');
const DEV = join(import.meta.dirname, '..', '..', 'shared', 'data', 'dev', 'voiceprint');
const csv = join(DEV, 'speakers.csv');
const ENCODERS = (process.env.VOICEPRINT_ENCODERS ?? 'fbank-stats,callscope_spk_encoder_v1').split(',');
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const report: Record<string, unknown> = {};

for (const id of ENCODERS) {
  const models = await loadEngineModels({ embedding: id, ageGender: null });
  const { version } = models.embedder.use;
  const data = await embedProtocol(csv, models);
  const cohort = shippedCohort(id, version);
  const strip = ({ trials: _t, ...rest }: ReturnType<typeof scoreProtocol>): object => rest;
  const entry: Record<string, unknown> = {
    version,
    cosine: strip(scoreProtocol(data, null, cosineOperatingPoint(id))),
  };
  if (cohort) {
    entry.asNorm = strip(scoreProtocol(data, cohort, operatingPointFor(id, version, 'as-norm')));
    entry.topKSweep = [10, 20, 50, 100, 150, 200, cohort.count].map((k) => {
      const r = scoreProtocol(data, { ...cohort, topK: Math.min(k, cohort.count) });
      return { topK: k, eer: r3(r.eer), eerThreshold: r3(r.eerThreshold) };
    });
    entry.cohort = { speakers: cohort.count, dim: cohort.dim, topK: cohort.topK };
  }

  // Katie/Steve: every dev speaker enrolled (LibriSpeech voices are distractors)
  const dir = mkdtempSync(join(tmpdir(), 'callscope-vp-eval-'));
  const db = openDb(join(dir, 'lib.db'));
  const rows = readProtocol(csv);
  const speakers = [...new Set(rows.filter((r) => r.role === 'enroll').map((r) => r.speakerId))];
  for (const spk of speakers) {
    const files = rows.filter((r) => r.role === 'enroll' && r.speakerId === spk).map((r) => r.file);
    const e = await embedSpeech(files, models, { minSpeechS: 0 });
    createVoiceprint(db, { name: spk, consentHow: 'dev protocol (public recordings)' }, [
      { ...e, source: files.join(' ') },
    ]);
  }
  const conversations: Record<string, unknown> = {};
  for (const conv of rows.filter((r) => r.role === 'test_conversation')) {
    if (conversations[conv.file]) continue;
    const expected = rows
      .filter((r) => r.file === conv.file)
      .flatMap((r) => r.speakerId.split('+'))
      .sort();
    const result = await analyzeFile(conv.file, models);
    const emb = speakerEmbeddingsOf(result);
    const per: Record<string, unknown> = {};
    for (const [name, op] of [
      ['cosine', cosineOperatingPoint(id)],
      ...(cohort ? [['asNorm', operatingPointFor(id, version, 'as-norm')] as const] : []),
    ] as const) {
      const ids = labelResult(db, structuredClone(result), emb, models.embedder.use, op);
      const named = [...ids.values()].filter((i) => i.status === 'known').map((i) => i.best!.name);
      per[name] = {
        threshold: op.threshold,
        speakers: Object.fromEntries(
          [...ids].map(([sid, i]) => [
            sid,
            {
              label: i.label,
              closest: i.best?.name ?? null,
              cosine: i.best ? r3(i.best.similarity) : null,
              score: i.best ? r3(i.best.score) : null,
              runnerUp: i.runnerUp ? `${i.runnerUp.name} ${r3(i.runnerUp.score)}` : null,
              speechS: r3(result.speakers.find((s) => s.id === sid)?.speechS ?? 0),
            },
          ]),
        ),
        bothFound: expected.every((n) => named.includes(n)),
        thirdName: named.some((n) => !expected.includes(n)),
        pass: expected.every((n) => named.includes(n)) && named.every((n) => expected.includes(n)),
      };
    }
    conversations[conv.file.slice(DEV.length + 1)] = { expected, ...per };
  }
  entry.katieSteve = conversations;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  report[id] = entry;
}

mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', 'voiceprint-eval.json'),
  JSON.stringify(report, null, 2) + '\n',
);
console.log(JSON.stringify(report, null, 2));

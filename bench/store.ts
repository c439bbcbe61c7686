/**
 * Store benchmarks and the dev voiceprint protocol (`npm run bench:store`):
 *  - identification against 10,000 voiceprints, cosine and AS-norm (target ≤ 5 ms per query);
 *  - history page listing with 1,000 calls / 100,000 turns (target ≤ 50 ms);
 *  - EER, operating point and identification accuracy per available encoder, with the scoring
 *    in use (AS-norm where a cohort ships; the full comparison is `npm run eval:voiceprints`).
 * Writes bench/results/store.json and prints a summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startRunRecord } from '../src-main/cli/run-record.ts';
import { loadEngineModels } from '../src-main/engine/index.ts';
import { listCalls, saveCall } from '../src-main/store/calls.ts';
import { runProtocol } from '../src-main/engine/voiceprints/protocol.ts';
import { openDb } from '../src-main/store/db.ts';
import { fakeResult } from '../src-main/store/fixtures.ts';
import { operatingPointFor, VoiceprintIndex } from '../src-main/engine/voiceprints/identify.ts';
import { cohortFromFile, cohortToFile, DEFAULT_TOP_K } from '../src-main/engine/voiceprints/score-norm.ts';
import { createVoiceprint, embeddingsOfModel } from '../src-main/store/voiceprints.ts';

process.env.CALLSCOPE_MODELS_DIR ??= join(import.meta.dirname, '..', '..', 'shared', 'models');
const dir = join(tmpdir(), `callscope-bench-store-${process.pid}`);
mkdirSync(dir, { recursive: true });
const run = startRunRecord(import.meta.dirname);
const report: Record<string, unknown> = {};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// identification: 10,000 voiceprints × dim 100
{
  const db = openDb(join(dir, 'ident.db'));
  const dim = 100;
  const rnd = (): Float32Array => Float32Array.from({ length: dim }, () => Math.random() - 0.5);
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++)
      createVoiceprint(db, { name: `P${i}`, consentHow: 'bench' }, [
        { modelId: 'bench', modelVersion: '1', vector: rnd(), source: 'bench', speechS: 10, snrDb: 20 },
      ]);
  })();
  // plain cosine, and AS-norm against a 280-speaker cohort (the size of the shipped ones)
  const cohort = cohortFromFile(
    cohortToFile(
      'bench',
      '1',
      Array.from({ length: 280 }, () => rnd()),
      DEFAULT_TOP_K,
      {},
    ),
  );
  const runs: Record<string, unknown> = {};
  for (const [name, c] of [
    ['cosine', null],
    ['asNorm', cohort],
  ] as const) {
    let t = performance.now();
    const index = VoiceprintIndex.fromEmbeddings('bench', '1', embeddingsOfModel(db, 'bench', '1'), c);
    const loadMs = performance.now() - t;
    const times: number[] = [];
    for (let q = 0; q < 200; q++) {
      const v = rnd();
      t = performance.now();
      index.top2(v);
      times.push(performance.now() - t);
    }
    runs[name] = {
      scoring: index.scoring,
      indexLoadMs: loadMs,
      queryMsMedian: median(times),
      queryMsMax: Math.max(...times),
    };
  }
  report.identification = { voiceprints: 10_000, dim, cohortSpeakers: cohort.count, ...runs };
  db.close();
}

// history: 1,000 calls × 100 turns
{
  const db = openDb(join(dir, 'history.db'));
  db.transaction(() => {
    for (let i = 0; i < 1000; i++)
      saveCall(db, fakeResult(`call${i}.wav`, 100), { startedAt: new Date(1.7e12 + i * 6e4).toISOString() });
  })();
  const turns = (db.prepare('SELECT COUNT(*) AS n FROM turns').get() as { n: number }).n;
  const time = (fn: () => void): number => {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      fn();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  report.history = {
    calls: 1000,
    turns,
    firstPageMs: time(() => listCalls(db, { limit: 50 })),
    lastPageMs: time(() => listCalls(db, { limit: 50, offset: 950 })),
    searchPageMs: time(() => listCalls(db, { limit: 50, search: 'call99' })),
  };
  db.close();
}

// dev voiceprint protocol, per encoder
const csv = join(import.meta.dirname, '..', '..', 'shared', 'data', 'dev', 'voiceprint', 'speakers.csv');
const protocol: Record<string, unknown> = {};
for (const id of ['fbank-stats', 'callscope_spk_encoder_v1']) {
  const models = await loadEngineModels({ embedding: id });
  const r = await runProtocol(csv, models, operatingPointFor(id, models.embedder.use.version));
  const { trials: _trials, ...rest } = r;
  protocol[id] = rest;
}
report.protocol = protocol;
report.run = run.finish();
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'store.json'), JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));

/**
 * Dev voiceprint evaluation and calibration (`npm run eval:voiceprints`), per encoder (default:
 * the voiceprint encoder, engine/voiceprints/models.ts; `VOICEPRINT_ENCODERS=a,b` to choose, e.g. a
 * new encoder version before it becomes the voiceprint model). Scores are AS-norm
 * against the encoder's shipped cohort (engine/voiceprints/score-norm.ts), calibrated to
 * P(same speaker) by logistic regression (engine/voiceprints/calibration.ts), with the decision
 * threshold set for a false-acceptance rate ≤ 1 % on non-enrolled speakers.
 *
 * Data (bench/voiceprint-data.ts, embeddings cached): the dev voiceprint protocol (5 LibriSpeech
 * speakers enrolled on 3 files each, 7 test files each; Katie and Steve enrolled too), the same
 * test files through four telephone paths (bench/telephone.ts: band limit, G.711 µ-law and A-law
 * at 8 kHz, Opus 8 kbit/s), and 62 dev/agegender clips of speakers never enrolled (strangers;
 * clean and G.711 µ-law).
 *
 * Never tuned on what it reports: calibration and threshold are fitted on 5 speaker-disjoint folds
 * (fold k holds LibriSpeech speaker k's test files and a fifth of the strangers), and every rate
 * below is counted on the fold left out ("out of fold"). The shipped calibration
 * (`models/<id>.calibration.json`) is then fitted on all folds. Reported:
 *  - dev protocol (clean) and cross-condition (per telephone path): EER, and FAR/FRR at the
 *    out-of-fold thresholds, trial level and identification level (named right / wrong);
 *  - strangers: fraction of clips named as anyone (identification-level FAR);
 *  - "all enrolled but two": for each pair of the 5 LibriSpeech speakers, the library holds the
 *    other 5 voices; calibration fitted without the pair's test files; the pair's test files must
 *    come out unknown;
 *  - extended pairs: every pair of clean single-speaker clips (dev/voiceprint + dev/agegender with a
 *    speaker id), EER and FAR/FRR at the shipped threshold;
 *  - the Katie/Steve conversations analysed by the engine, speakers labelled from a library of all
 *    7 dev voices with the shipped calibration: whether Katie and Steve are named, and that nobody
 *    else is.
 * Writes bench/results/voiceprint-eval.json (`VOICEPRINT_EVAL_OUT=name.json` for another name in
 * bench/results/) and the calibration files. `VOICEPRINT_EVAL_CACHED_ONLY=1` scores the cached
 * embeddings only, on the items every encoder of the run has (a comparison on equal trials).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AnalysisResult } from '../src-shared/contracts/analysis.ts';
import { startRunRecord } from '../src-main/cli/run-record.ts';
import type { ScoreKind } from '../src-shared/contracts/voiceprints.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../src-main/engine/diarization/embedding.ts';
import { analyzeFile, loadEngineModels, speakerEmbeddingSetsOf } from '../src-main/engine/index.ts';
import {
  CALIBRATION_FORMAT,
  CALIBRATION_VERSION,
  type CalibrationTrial,
  calibrationPath,
  cllr,
  fitLogistic,
  type LogisticCalibration,
  probabilityOf,
  type ScoreCalibration,
  thresholdForFar,
} from '../src-main/engine/voiceprints/calibration.ts';
import { cosine, l2normalize, operatingPointFor } from '../src-main/engine/voiceprints/identify.ts';
import { voiceprintModelId } from '../src-main/engine/voiceprints/models.ts';
import { equalErrorRate } from '../src-main/engine/voiceprints/protocol.ts';
import {
  asNorm,
  type Cohort,
  cohortStats,
  type CohortStats,
  shippedCohort,
} from '../src-main/engine/voiceprints/score-norm.ts';
import { labelResult } from '../src-main/services/voiceprint-labels.ts';
import { openDb } from '../src-main/store/db.ts';
import { createVoiceprint } from '../src-main/store/voiceprints.ts';
import { type Clip, DEV, evalClips, evalEmbeddings, STRANGER_CONDITIONS } from './voiceprint-data.ts';
import { TELEPHONE_CONDITIONS } from './telephone.ts';

process.env.CALLSCOPE_MODELS_DIR ??= join(import.meta.dirname, '..', '..', 'shared', 'models');
const ENCODERS = (process.env.VOICEPRINT_ENCODERS ?? voiceprintModelId()).split(',');
const TARGET_FAR = 0.01;
/**
 * The decision score calibrated per encoder (`VOICEPRINT_EVAL_SCORING`: `cosine` or `as-norm` for
 * every encoder, or `id:kind,id:kind`): `as-norm` needs the encoder's cohort. Default: encoder v2
 * `cosine` (out of fold its AS-norm against its 137-speaker cohort lost on FRR and on strangers,
 * bench/results/voiceprint-eval-alternatives.json), every other encoder `as-norm`.
 */
const SCORING_SPEC = process.env.VOICEPRINT_EVAL_SCORING ?? 'callscope_spk_encoder_v2:cosine';
function scoringOf(id: string): ScoreKind {
  for (const part of SCORING_SPEC.split(',')) {
    const [a, b] = part.includes(':') ? part.split(':') : [id, part];
    if (a === id && (b === 'cosine' || b === 'as-norm')) return b;
  }
  return 'as-norm';
}
/** `VOICEPRINT_EVAL_NO_CALIBRATION=1`: report only, leave models/<id>.calibration.json alone. */
const WRITE_CALIBRATION = process.env.VOICEPRINT_EVAL_NO_CALIBRATION !== '1';
/** Ambiguity margin per decision score (AS-norm scores span ~±10, cosines 0–1). */
const MARGIN: Record<ScoreKind, number> = { 'as-norm': 0.3, cosine: 0.05 };
const FOLDS = 5;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** One embedded item: normalised vector and its cohort statistics. */
interface Item {
  v: Float32Array;
  st: CohortStats;
}

/** A test clip under one condition. */
interface Test {
  key: string;
  clip: Clip;
  cond: string;
  fold: number;
}

/** Error counts of one protocol. */
class Rates {
  fa = 0;
  nontarget = 0;
  fr = 0;
  target = 0;
  add(score: number, target: boolean, threshold: number): void {
    if (target) {
      this.target++;
      if (score < threshold) this.fr++;
    } else {
      this.nontarget++;
      if (score >= threshold) this.fa++;
    }
  }
  json(): object {
    return {
      far: this.nontarget ? r4(this.fa / this.nontarget) : null,
      frr: this.target ? r4(this.fr / this.target) : null,
      falseAccepts: this.fa,
      nonTargets: this.nontarget,
      falseRejects: this.fr,
      targets: this.target,
    };
  }
}

/** Identification outcomes of test clips against a library. */
class IdRates {
  named = 0;
  wrong = 0;
  unknown = 0;
  strangers = 0;
  strangersNamed = 0;
  add(best: { spk: string; score: number }, truth: string | null, threshold: number): void {
    const accepted = best.score >= threshold;
    if (truth === null) {
      this.strangers++;
      if (accepted) this.strangersNamed++;
    } else if (!accepted) this.unknown++;
    else if (best.spk === truth) this.named++;
    else this.wrong++;
  }
  json(): object {
    const enrolled = this.named + this.wrong + this.unknown;
    return {
      enrolledTests: enrolled,
      namedRight: this.named,
      namedWrong: this.wrong,
      unknown: this.unknown,
      identificationFrr: enrolled ? r4((this.unknown + this.wrong) / enrolled) : null,
      strangerTests: this.strangers,
      strangersNamed: this.strangersNamed,
      strangerFar: this.strangers ? r4(this.strangersNamed / this.strangers) : null,
    };
  }
}

function foldOf(c: Clip, lsSpeakers: string[]): number {
  const i = lsSpeakers.indexOf(c.speaker ?? '');
  if (i >= 0) return i;
  let h = 0;
  for (const ch of c.speaker ?? c.rel) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % FOLDS;
}

function evaluate(
  table: Record<string, number[]>,
  cohort: Cohort,
  scoring: ScoreKind,
): Record<string, unknown> {
  const item = new Map<string, Item>();
  const get = (k: string): Item | undefined => {
    if (!item.has(k)) {
      const raw = table[k];
      if (!raw) return undefined;
      const v = l2normalize(raw);
      item.set(k, { v, st: cohortStats(cohort, v) });
    }
    return item.get(k);
  };
  const score = (a: Item, b: Item): number =>
    scoring === 'cosine' ? cosine(a.v, b.v) : asNorm(cosine(a.v, b.v), a.st, b.st);
  const { clips, enrollFiles } = evalClips();
  const enrolled = [...enrollFiles.keys()];
  const ls = [...new Set(clips.filter((c) => c.role === 'test').map((c) => c.speaker!))].sort();
  const enrollItem = new Map(enrolled.map((s) => [s, get(`enroll:${s}`)!]));
  const tests: Test[] = [];
  for (const c of clips) {
    const conds =
      c.role === 'test'
        ? ['clean', ...TELEPHONE_CONDITIONS]
        : c.role === 'stranger'
          ? ['clean', ...STRANGER_CONDITIONS]
          : [];
    for (const cond of conds) {
      const key = `${cond}:${c.rel}`;
      if (get(key)) tests.push({ key, clip: c, cond, fold: foldOf(c, ls) });
    }
  }
  /** Scores of a test against each voice of a library. */
  const scoresOf = (t: Test, library: string[]): { spk: string; score: number }[] =>
    library.map((spk) => ({ spk, score: score(enrollItem.get(spk)!, get(t.key)!) }));
  const best = (xs: { spk: string; score: number }[]): { spk: string; score: number } =>
    xs.reduce((a, b) => (b.score > a.score ? b : a));
  const truthOf = (t: Test): string | null => (t.clip.role === 'test' ? t.clip.speaker : null);

  /** Calibration + threshold fitted on the given tests, with `library` enrolled. */
  const fit = (
    train: Test[],
    library: string[],
  ): LogisticCalibration & {
    threshold: number;
    thresholdTrial: number;
    thresholdId: number;
    thresholdStrangers: number;
  } => {
    const trials: CalibrationTrial[] = [];
    const strangerMax: number[] = [];
    const unenrolledMax: number[] = [];
    for (const t of train) {
      const truth = truthOf(t);
      const s = scoresOf(t, library);
      for (const x of s) trials.push({ score: x.score, target: x.spk === truth });
      const others = s.filter((x) => x.spk !== truth);
      // best score among the voices that are not this speaker's: a stranger's, or an enrolled
      // speaker's as if their own voice were not enrolled (the all-but-one view)
      if (others.length) (truth === null ? strangerMax : unenrolledMax).push(best(others).score);
    }
    const cal = fitLogistic(trials);
    const thresholdTrial = thresholdForFar(
      trials.filter((x) => !x.target).map((x) => x.score),
      TARGET_FAR,
    );
    // identification level, FAR ≤ 1 % on each population of non-enrolled speakers separately: the
    // strangers (another corpus and recording set-up) score higher than the left-out enrolled
    // speakers, and pooling the two let 6.5 % of clean strangers through out of fold (v1)
    const thresholdId = thresholdForFar(unenrolledMax, TARGET_FAR);
    const thresholdStrangers = strangerMax.length ? thresholdForFar(strangerMax, TARGET_FAR) : -Infinity;
    return {
      ...cal,
      threshold: Math.max(thresholdTrial, thresholdId, thresholdStrangers),
      thresholdTrial,
      thresholdId,
      thresholdStrangers,
    };
  };

  // out-of-fold rates
  const byCond = new Map<
    string,
    { trial: Rates; id: IdRates; trials: CalibrationTrial[]; p: CalibrationTrial[] }
  >();
  const slot = (k: string) => {
    if (!byCond.has(k)) byCond.set(k, { trial: new Rates(), id: new IdRates(), trials: [], p: [] });
    return byCond.get(k)!;
  };
  const folds: object[] = [];
  for (let k = 0; k < FOLDS; k++) {
    const f = fit(
      tests.filter((t) => t.fold !== k),
      enrolled,
    );
    folds.push({
      fold: k,
      heldOutSpeaker: ls[k],
      slope: r4(f.slope),
      offset: r4(f.offset),
      threshold: r4(f.threshold),
    });
    for (const t of tests.filter((x) => x.fold === k)) {
      const truth = truthOf(t);
      const s = scoresOf(t, enrolled);
      const group = `${t.clip.role === 'test' ? 'enrolled' : 'strangers'}:${t.cond}`;
      const g = slot(group);
      for (const x of s) {
        g.trial.add(x.score, x.spk === truth, f.threshold);
        g.trials.push({ score: x.score, target: x.spk === truth });
        g.p.push({ score: f.slope * x.score + f.offset, target: x.spk === truth });
      }
      g.id.add(best(s), truth, f.threshold);
    }
  }
  // pooled out-of-fold rates: the comparison between encoders (lower FRR at FAR ≤ 1 %)
  const pooled = (pred: (cond: string, group: string) => boolean): object => {
    const trial = new Rates();
    const id = new IdRates();
    for (const [k, g] of byCond) {
      const [group, cond] = k.split(':');
      if (!pred(cond, group)) continue;
      for (const key of ['fa', 'nontarget', 'fr', 'target'] as const) trial[key] += g.trial[key];
      for (const key of ['named', 'wrong', 'unknown', 'strangers', 'strangersNamed'] as const)
        id[key] += g.id[key];
    }
    return { trials: trial.json(), identification: id.json() };
  };
  const outOfFoldPooled = {
    enrolledClean: pooled((c, g) => g === 'enrolled' && c === 'clean'),
    enrolledTelephone: pooled((c, g) => g === 'enrolled' && c !== 'clean'),
    enrolledAll: pooled((_, g) => g === 'enrolled'),
    strangersClean: pooled((c, g) => g === 'strangers' && c === 'clean'),
    strangersAll: pooled((_, g) => g === 'strangers'),
  };
  const outOfFold: Record<string, unknown> = {};
  for (const [k, g] of [...byCond].sort()) {
    const hasBoth = g.trials.some((x) => x.target) && g.trials.some((x) => !x.target);
    outOfFold[k] = {
      ...(hasBoth
        ? { eer: r4(equalErrorRate(g.trials).eer), cllr: r4(cllr(g.p, { slope: 1, offset: 0 })) }
        : {}),
      trials: g.trial.json(),
      identification: g.id.json(),
    };
  }

  // all enrolled but two
  const abt = { strangers: new IdRates(), enrolled: new IdRates(), pairs: 0 };
  for (let i = 0; i < ls.length; i++)
    for (let j = i + 1; j < ls.length; j++) {
      const out = [ls[i], ls[j]];
      const library = enrolled.filter((s) => !out.includes(s));
      const f = fit(
        tests.filter((t) => !out.includes(t.clip.speaker ?? '')),
        library,
      );
      abt.pairs++;
      for (const t of tests.filter((x) => x.clip.role === 'test')) {
        const b = best(scoresOf(t, library));
        if (out.includes(t.clip.speaker!)) abt.strangers.add(b, null, f.threshold);
        else abt.enrolled.add(b, t.clip.speaker, f.threshold);
      }
    }

  // the shipped calibration: every fold
  const all = fit(tests, enrolled);

  // extended pairs (clean single clips with a speaker id): at the shipped threshold, and out of
  // fold (the threshold fitted without the folds of both clips' speakers)
  const ext = clips.filter((c) => c.speaker && get(`clean:${c.rel}`));
  const pairTrials: CalibrationTrial[] = [];
  const pairRates = new Rates();
  const pairOof = new Rates();
  const pairFit = new Map<string, number>();
  const thresholdWithout = (a: number, b: number): number => {
    const k = `${Math.min(a, b)},${Math.max(a, b)}`;
    if (!pairFit.has(k))
      pairFit.set(
        k,
        fit(
          tests.filter((t) => t.fold !== a && t.fold !== b),
          enrolled,
        ).threshold,
      );
    return pairFit.get(k)!;
  };
  for (let i = 0; i < ext.length; i++)
    for (let j = i + 1; j < ext.length; j++) {
      const s = score(get(`clean:${ext[i].rel}`)!, get(`clean:${ext[j].rel}`)!);
      const target = ext[i].speaker === ext[j].speaker;
      pairTrials.push({ score: s, target });
      pairRates.add(s, target, all.threshold);
      pairOof.add(s, target, thresholdWithout(foldOf(ext[i], ls), foldOf(ext[j], ls)));
    }
  const pairEer = equalErrorRate(pairTrials);

  // the classic dev protocol (clean, pooled enrollment), cosine vs AS-norm EER
  const devCos: CalibrationTrial[] = [];
  const devAs: CalibrationTrial[] = [];
  for (const t of tests.filter((x) => x.clip.role === 'test' && x.cond === 'clean'))
    for (const spk of enrolled) {
      const e = enrollItem.get(spk)!;
      const q = get(t.key)!;
      devCos.push({ score: cosine(e.v, q.v), target: spk === t.clip.speaker });
      devAs.push({ score: asNorm(cosine(e.v, q.v), e.st, q.st), target: spk === t.clip.speaker });
    }

  return {
    data: {
      enrolledSpeakers: enrolled.length,
      testSpeakers: ls.length,
      testClipsPerCondition: tests.filter((t) => t.clip.role === 'test' && t.cond === 'clean').length,
      strangerClips: tests.filter((t) => t.clip.role === 'stranger' && t.cond === 'clean').length,
      conditions: ['clean', ...TELEPHONE_CONDITIONS].filter((c) =>
        tests.some((t) => t.cond === c && t.clip.role === 'test'),
      ),
      strangerConditions: ['clean', ...STRANGER_CONDITIONS].filter((c) =>
        tests.some((t) => t.cond === c && t.clip.role === 'stranger'),
      ),
      testsPerCondition: Object.fromEntries(
        ['clean', ...TELEPHONE_CONDITIONS].map((c) => [
          c,
          tests.filter((t) => t.cond === c && t.clip.role === 'test').length,
        ]),
      ),
      strangerTestsPerCondition: Object.fromEntries(
        ['clean', ...STRANGER_CONDITIONS].map((c) => [
          c,
          tests.filter((t) => t.cond === c && t.clip.role === 'stranger').length,
        ]),
      ),
    },
    devProtocolEer: { cosine: r4(equalErrorRate(devCos).eer), asNorm: r4(equalErrorRate(devAs).eer) },
    outOfFoldPooled,
    outOfFold,
    folds,
    allEnrolledButTwo: {
      pairs: abt.pairs,
      note: 'calibration and threshold fitted without the two left-out speakers; strangers = their test files (all conditions)',
      strangers: abt.strangers.json(),
      enrolled: abt.enrolled.json(),
    },
    extendedPairs: {
      clips: ext.length,
      pairs: pairTrials.length,
      targetPairs: pairTrials.filter((x) => x.target).length,
      eer: r4(pairEer.eer),
      outOfFold: pairOof.json(),
      atShippedThreshold: pairRates.json(),
      note: 'single clip against single clip (shorter than a pooled enrollment); outOfFold: threshold fitted without the folds of both speakers; atShippedThreshold: speakers overlap the calibration data',
    },
    shipped: {
      slope: r4(all.slope),
      offset: r4(all.offset),
      threshold: r4(all.threshold),
      thresholdTrialLevel: r4(all.thresholdTrial),
      thresholdIdentificationLevel: r4(all.thresholdId),
      thresholdStrangers: r4(all.thresholdStrangers),
      probabilityAtThreshold: r4(probabilityOf(all, all.threshold)),
    },
  };
}

/** Katie/Steve conversations: every dev voice enrolled, speakers labelled with the shipped point. */
async function katieSteve(id: string, table: Record<string, number[]>): Promise<Record<string, unknown>> {
  const models = await loadEngineModels({ voiceprint: id, ageGender: null });
  const enc = models.voiceprintEmbedder.use;
  const dir = mkdtempSync(join(tmpdir(), 'callscope-vp-eval-'));
  const db = openDb(join(dir, 'lib.db'));
  const { enrollFiles } = evalClips();
  for (const spk of enrollFiles.keys()) {
    createVoiceprint(db, { name: spk, consentHow: 'dev protocol (public recordings)' }, [
      {
        vector: Float32Array.from(table[`enroll:${spk}`]),
        modelId: enc.id,
        modelVersion: enc.version,
        source: 'dev enrollment',
        speechS: 10,
        snrDb: null,
      },
    ]);
  }
  const out: Record<string, unknown> = {};
  const op = operatingPointFor(enc.id, enc.version);
  for (const conv of ['azure_katiesteve.wav', 'azure_katiesteve_mono.wav']) {
    // the engine's analysis (diarization + speaker embeddings) is cached: re-scoring is cheap
    const cacheFile = join(
      import.meta.dirname,
      'results',
      'tmp',
      `conv-${enc.id}@${enc.version}-${conv}.json`,
    );
    let cached: { result: AnalysisResult; embeddings: Record<string, number[]> };
    if (existsSync(cacheFile)) cached = JSON.parse(readFileSync(cacheFile, 'utf8'));
    else {
      const result = await analyzeFile(join(DEV, 'voiceprint', 'conversations', conv), models);
      const set = speakerEmbeddingSetsOf(result).find((x) => x.use.id === enc.id);
      const embeddings = Object.fromEntries([...(set?.embeddings ?? [])].map(([k, v]) => [k, Array.from(v)]));
      cached = { result, embeddings };
      writeFileSync(cacheFile, JSON.stringify(cached));
    }
    const result = cached.result;
    const emb = new Map(Object.entries(cached.embeddings).map(([k, v]) => [k, Float32Array.from(v)]));
    const ids = labelResult(db, result, emb, enc, op);
    const named = [...ids.values()].filter((i) => i.status === 'known').map((i) => i.best!.name);
    const expected = ['azure_katie', 'azure_steve'];
    out[conv] = {
      threshold: r4(op.threshold),
      scoring: op.scoring,
      speakers: Object.fromEntries(
        [...ids].map(([sid, i]) => [
          sid,
          {
            label: i.label,
            closest: i.best?.name ?? null,
            score: i.best ? r4(i.best.score) : null,
            probability: i.probability ?? null,
            runnerUp: i.runnerUp ? `${i.runnerUp.name} ${r4(i.runnerUp.score)}` : null,
            speechS: r4(result.speakers.find((s) => s.id === sid)?.speechS ?? 0),
          },
        ]),
      ),
      katieNamed: named.includes('azure_katie'),
      steveNamed: named.includes('azure_steve'),
      nobodyElseNamed: named.every((n) => expected.includes(n)),
    };
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

// encoder id → its results; `run`: machine, load average, date and commit
const report: Record<string, unknown> = {};
const run = startRunRecord(import.meta.dirname);
const base = await loadEngineModels({ ageGender: null, segmentationThread: 'main' });
const backends: EmbeddingBackend[] = [];
for (const id of ENCODERS) backends.push(await createEmbeddingBackend(id));
// VOICEPRINT_EVAL_CACHED_ONLY=1: score what the embedding cache holds (counts are in `data`), on
// the items every encoder evaluated has, so that encoders are compared on the same trials
const cachedOnly = process.env.VOICEPRINT_EVAL_CACHED_ONLY === '1';
const tables = await evalEmbeddings(base, backends, log, cachedOnly);
if (cachedOnly) {
  const keys = backends.map((b) => `${b.use.id}@${b.use.version}`);
  const common = Object.keys(tables[keys[0]] ?? {}).filter((k) => keys.every((t) => tables[t]?.[k]));
  for (const t of keys) tables[t] = Object.fromEntries(common.map((k) => [k, tables[t][k]]));
}
for (const b of backends) {
  const { id, version } = b.use;
  const cohort = shippedCohort(id, version);
  if (!cohort) {
    report[id] = { version, skipped: 'no shipped cohort: AS-norm calibration needs one' };
    continue;
  }
  log(`${id}: scoring`);
  const scoring = scoringOf(id);
  const r = evaluate(tables[`${id}@${version}`], cohort, scoring);
  const shipped = r.shipped as { slope: number; offset: number; threshold: number };
  const cal: ScoreCalibration = {
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    modelId: id,
    modelVersion: version,
    scoring,
    ...(scoring === 'as-norm' ? { topK: cohort.topK } : {}),
    slope: shipped.slope,
    offset: shipped.offset,
    threshold: shipped.threshold,
    margin: MARGIN[scoring],
    targetFar: TARGET_FAR,
    provenance: {
      script: 'bench/voiceprint-eval.ts',
      data: r.data,
      fit: 'prior-weighted logistic regression (prior 0.5) on every fold; threshold = max of the 1 % FAR thresholds on non-target trials, on the best score of enrolled speakers with their own voice left out, and on the best score of strangers',
      outOfFold: r.outOfFold,
    },
  };
  if (WRITE_CALIBRATION) writeFileSync(calibrationPath(id), JSON.stringify(cal, null, 2) + '\n');
  log(`${id}: Katie/Steve`);
  report[id] = {
    version,
    scoring,
    cohort: { speakers: cohort.count, topK: cohort.topK },
    ...r,
    // VOICEPRINT_SKIP_CONVERSATIONS=1: leave the Katie/Steve analysis out (a quick re-score)
    ...(process.env.VOICEPRINT_SKIP_CONVERSATIONS === '1'
      ? {}
      : { katieSteve: await katieSteve(id, tables[`${id}@${version}`]) }),
  };
}

report.run = run.finish();
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'results', process.env.VOICEPRINT_EVAL_OUT ?? 'voiceprint-eval.json'),
  JSON.stringify(report, null, 2) + '\n',
);
console.log(JSON.stringify(report, null, 2));
process.exit(0);

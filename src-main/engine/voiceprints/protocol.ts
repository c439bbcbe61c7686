/**
 * Calibration of the identification threshold on the dev voiceprint protocol
 * (`shared/data/dev/voiceprint/speakers.csv`, DATA.md: enroll each speaker on its `enroll` files,
 * score every `test` file against every enrolled speaker). Reports the EER, the operating point
 * (threshold, false-accept and false-reject rates) and open-set identification accuracy, on the
 * cosine similarity or on AS-norm scores (score-norm.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { EngineModels } from '../index.ts';
import type { ScoreKind } from '../../../src-shared/contracts/voiceprints.ts';
import { identifySpeakers, type OperatingPoint, VoiceprintIndex } from './identify.ts';
import { type Cohort, shippedCohort } from './score-norm.ts';
import { embedSpeech } from './speech-embedding.ts';

/** One row of speakers.csv. */
export interface ProtocolRow {
  file: string;
  speakerId: string;
  role: string;
}

/** Parses speakers.csv (header `file,speaker_id,gender,role,corpus`); paths made absolute. */
export function readProtocol(csvPath: string): ProtocolRow[] {
  const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\n');
  const cols = header.split(',');
  const fi = cols.indexOf('file');
  const si = cols.indexOf('speaker_id');
  const ri = cols.indexOf('role');
  return lines.map((l) => {
    const c = l.split(',');
    return { file: join(dirname(csvPath), c[fi]), speakerId: c[si], role: c[ri] };
  });
}

/** A scored trial. */
export interface Trial {
  score: number;
  target: boolean;
}

/** Equal error rate and its threshold (false-accept rate = false-reject rate). */
export function equalErrorRate(trials: Trial[]): { eer: number; threshold: number } {
  const t = trials.filter((x) => x.target).map((x) => x.score);
  const n = trials.filter((x) => !x.target).map((x) => x.score);
  if (!t.length || !n.length) throw new Error('EER needs target and non-target trials');
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  const cands = [...new Set(trials.map((x) => x.score))].sort((a, b) => a - b);
  for (const th of cands) {
    const far = n.filter((s) => s >= th).length / n.length;
    const frr = t.filter((s) => s < th).length / t.length;
    const gap = Math.abs(far - frr);
    if (gap < best.gap) best = { gap, eer: (far + frr) / 2, threshold: th };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** False-accept and false-reject rates at a threshold. */
export function ratesAt(trials: Trial[], threshold: number): { far: number; frr: number } {
  const t = trials.filter((x) => x.target);
  const n = trials.filter((x) => !x.target);
  return {
    far: n.filter((x) => x.score >= threshold).length / Math.max(n.length, 1),
    frr: t.filter((x) => x.score < threshold).length / Math.max(t.length, 1),
  };
}

/** Result of running the protocol with one encoder and one scoring. */
export interface ProtocolReport {
  modelId: string;
  /** Decision score the trials are on (`as-norm` needs the encoder's cohort). */
  scoring: ScoreKind;
  speakers: number;
  testFiles: number;
  trials: Trial[];
  eer: number;
  eerThreshold: number;
  /** Closed-set top-1 accuracy (every test speaker enrolled). */
  closedSetAccuracy: number;
  /** Open-set accuracy at `op`: correct name for enrolled speakers. */
  openSetAccuracy: number;
  /** Leave-one-speaker-out: fraction of test files of a non-enrolled speaker labelled unknown. */
  impostorRejection: number;
  op: OperatingPoint & { far: number; frr: number };
}

/** Embeddings of the protocol: one pooled enrollment per speaker, one per test file. */
export interface ProtocolEmbeddings {
  modelId: string;
  modelVersion: string;
  enrolled: { voiceprintId: number; name: string; vector: Float32Array; speechS: number }[];
  queries: { spk: string; file: string; vector: Float32Array }[];
}

/**
 * Embeds the dev protocol: one pooled enrollment embedding per speaker (its `enroll` files), one
 * embedding per `test` file (all its VAD speech).
 */
export async function embedProtocol(
  csvPath: string,
  models: Pick<EngineModels, 'vadModel' | 'embedder'>,
): Promise<ProtocolEmbeddings> {
  const rows = readProtocol(csvPath);
  const speakers = [...new Set(rows.filter((r) => r.role === 'enroll').map((r) => r.speakerId))];
  const tests = rows.filter((r) => r.role === 'test' && speakers.includes(r.speakerId));
  const enrolled: ProtocolEmbeddings['enrolled'] = [];
  for (const [i, spk] of speakers.entries()) {
    const files = rows.filter((r) => r.role === 'enroll' && r.speakerId === spk).map((r) => r.file);
    const e = await embedSpeech(files, models, { minSpeechS: 0 });
    enrolled.push({ voiceprintId: i + 1, name: spk, vector: e.vector, speechS: e.speechS });
  }
  const queries: ProtocolEmbeddings['queries'] = [];
  for (const t of tests)
    queries.push({
      spk: t.speakerId,
      file: t.file,
      vector: (await embedSpeech([t.file], models, { minSpeechS: 0 })).vector,
    });
  const { id: modelId, version: modelVersion } = models.embedder.use;
  return { modelId, modelVersion, enrolled, queries };
}

/**
 * Scores embedded protocol data: every test file against every enrolled speaker (trials, EER),
 * closed-set top-1, open-set accuracy at `op`, and leave-one-speaker-out impostor rejection.
 * Speakers without a test file (enrolled for the conversations only) still act as impostors.
 * @param cohort AS-norm cohort (null: cosine scoring).
 * @param op operating point to evaluate (default: the EER threshold, margin 0).
 */
export function scoreProtocol(
  data: ProtocolEmbeddings,
  cohort: Cohort | null,
  op?: OperatingPoint,
): ProtocolReport {
  const { modelId, modelVersion, enrolled, queries } = data;
  const index = VoiceprintIndex.fromEmbeddings(modelId, modelVersion, enrolled, cohort);
  const scoring = index.scoring;
  const trials: Trial[] = [];
  let closed = 0;
  for (const q of queries) {
    const s = index.decisionScores(q.vector);
    s.forEach((score, i) => trials.push({ score, target: index.names[i] === q.spk }));
    if (index.top2(q.vector)[0]?.name === q.spk) closed++;
  }
  const { eer, threshold } = equalErrorRate(trials);
  const point: OperatingPoint = { ...(op ?? { threshold, margin: 0 }), scoring };
  let open = 0;
  for (const q of queries) {
    const id = identifySpeakers(index, new Map([['q', q.vector]]), point, false).get('q')!;
    if (id.status === 'known' && id.best?.name === q.spk) open++;
  }
  let rejected = 0;
  const tested = [...new Set(queries.map((q) => q.spk))];
  for (const spk of tested) {
    const others = VoiceprintIndex.fromEmbeddings(
      modelId,
      modelVersion,
      enrolled.filter((e) => e.name !== spk),
      cohort,
    );
    for (const q of queries.filter((x) => x.spk === spk)) {
      if (identifySpeakers(others, new Map([['q', q.vector]]), point, false).get('q')!.status === 'unknown')
        rejected++;
    }
  }
  return {
    modelId,
    scoring,
    speakers: enrolled.length,
    testFiles: queries.length,
    trials,
    eer,
    eerThreshold: threshold,
    closedSetAccuracy: closed / queries.length,
    openSetAccuracy: open / queries.length,
    impostorRejection: rejected / queries.length,
    op: { ...point, ...ratesAt(trials, point.threshold) },
  };
}

/**
 * Runs the dev protocol with one encoder ({@link embedProtocol} + {@link scoreProtocol}); when
 * `cohort` is undefined, the encoder's shipped cohort is used if `op` asks for AS-norm.
 */
export async function runProtocol(
  csvPath: string,
  models: Pick<EngineModels, 'vadModel' | 'embedder'>,
  op?: OperatingPoint,
  cohort: Cohort | null = op?.scoring === 'as-norm'
    ? shippedCohort(models.embedder.use.id, models.embedder.use.version)
    : null,
): Promise<ProtocolReport> {
  return scoreProtocol(await embedProtocol(csvPath, models), cohort, op);
}

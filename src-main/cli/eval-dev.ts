/**
 * `callscope eval-dev` (`npm run eval`): analyses every recording of the dev diarization and
 * stereo sets, writes hypothesis RTTMs and scores them against the reference RTTMs.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { AnalyzeOptions } from '../../src-shared/contracts/analysis.ts';
import { resultToRttm } from '../../src-shared/formats/exports.ts';
import { analyzeFile, DEFAULT_PARAMS, type EngineModels, type PipelineParams } from '../engine/index.ts';
import { evaluateRttmDirs, formatEvalTable, type EvalReport } from '../engine/eval/eval-dirs.ts';
import { APP_ROOT } from '../engine/inference/registry.ts';
import { outputBaseName } from './analyze.ts';
import { startRunRecord, type RunRecord } from './run-record.ts';

/** Dev data root: env `CALLSCOPE_DEV_DATA`, else `../shared/data/dev` beside the repository. */
export function devDataRoot(): string {
  return process.env.CALLSCOPE_DEV_DATA ?? resolve(APP_ROOT, '..', 'shared', 'data', 'dev');
}

const AUDIO = /\.(wav|m4a|mp3|flac|ogg|opus|webm|aac)$/i;

/** Per-subset evaluation with the analysis RTF. */
export interface DevEval {
  subset: string;
  report: EvalReport;
  rtf: number;
}

/**
 * Analyses and scores one dev subset.
 * @throws Error when the subset folder does not exist.
 */
export async function evaluateSubset(
  subset: 'diarization' | 'stereo',
  models: EngineModels,
  outDir: string,
  opts: AnalyzeOptions = {},
  params: PipelineParams = DEFAULT_PARAMS,
): Promise<DevEval> {
  const refDir = join(devDataRoot(), subset);
  if (!existsSync(refDir)) throw new Error(`dev data not found at ${refDir} (set CALLSCOPE_DEV_DATA)`);
  const hypDir = join(outDir, subset);
  await mkdir(hypDir, { recursive: true });
  let proc = 0;
  let audio = 0;
  for (const name of (await readdir(refDir)).filter((n) => AUDIO.test(n)).sort()) {
    const result = await analyzeFile(join(refDir, name), models, opts, undefined, params);
    proc += result.timingsMs.total ?? 0;
    audio += result.durationS;
    const id = outputBaseName(name);
    await writeFile(join(hypDir, `${id}.rttm`), resultToRttm(result, id));
  }
  const report = await evaluateRttmDirs(refDir, hypDir);
  return { subset, report, rtf: audio ? proc / 1000 / audio : 0 };
}

/** Contents of `eval-dev.json`, the machine-readable twin of `eval-dev.md` (read by `bench/report.ts`). */
export interface EvalDevJson {
  /** Machine, load average, date and commit of the run. */
  run: RunRecord;
  /** Embedding id used for clustering, e.g. "fbank-stats". */
  embedding: string;
  /** One entry per dev subset, in the order run ("diarization", then "stereo"). */
  subsets: DevEval[];
}

/** Runs both subsets, prints tables, writes `<outDir>/eval-dev.md` and `eval-dev.json`. @returns exit code. */
export async function runEvalDev(
  models: EngineModels,
  outDir: string,
  opts: AnalyzeOptions,
  out: (s: string) => void,
): Promise<number> {
  const run = startRunRecord(APP_ROOT);
  let md = `# Dev evaluation (${new Date().toISOString()})\n\nEmbedding: ${models.embedder.id}\n\n`;
  const subsets: DevEval[] = [];
  for (const subset of ['diarization', 'stereo'] as const) {
    const ev = await evaluateSubset(subset, models, outDir, opts);
    subsets.push(ev);
    const text = `## ${subset} (RTF ${ev.rtf.toFixed(4)})\n\n${formatEvalTable(ev.report)}\n`;
    out(text);
    md += text;
  }
  await writeFile(join(outDir, 'eval-dev.md'), md);
  const json: EvalDevJson = { run: run.finish(), embedding: models.embedder.id, subsets };
  await writeFile(join(outDir, 'eval-dev.json'), JSON.stringify(json, null, 2) + '\n');
  return 0;
}

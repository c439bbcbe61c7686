/**
 * Scores a directory of hypothesis RTTM files against a directory of reference RTTM files:
 * DER at several collars, JER and VAD per recording, plus corpus totals, and a Markdown table of
 * the result. Totals follow md-eval / pyannote.metrics: DER components are summed over files
 * before taking the ratio; VAD durations are pooled; JER is the mean of the per-file JERs (dscore's
 * overall JER instead averages over all reference speakers of all files).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { parseRttm, speechRegions } from '../../../src-shared/formats/rttm.ts';
import type { SpeakerSegment } from '../../../src-shared/formats/rttm.ts';

import { diarizationErrorRate, mergeTurnsBySpeaker } from './der.ts';
import type { DerResult } from './der.ts';
import { jaccardErrorRate } from './jer.ts';
import { vadMetrics, vadScores } from './vad-metrics.ts';
import type { VadResult } from './vad-metrics.ts';

/** Options of {@link evaluateRttmDirs}. */
export interface EvalDirsOptions {
  /** DER collars in seconds on each side of reference boundaries (md-eval). Default `[0, 0.25]`. */
  collars?: number[];
}

/** DER components summed over files (seconds) and their ratio. */
export type DerTotals = Omit<DerResult, 'mapping'>;

/** Scores of one recording. */
export interface FileEval {
  fileId: string;
  /** Number of distinct reference speakers (with speech). */
  refSpeakers: number;
  /** Number of distinct hypothesis speakers (with speech). */
  hypSpeakers: number;
  /** Collar as written by `String(collar)` (e.g. `"0"`, `"0.25"`) → DER result. */
  der: Record<string, DerResult>;
  /** Jaccard error rate, fraction in [0, 1]. */
  jer: number;
  /** Speech detection of the union of hypothesis turns vs the union of reference turns, no collar. */
  vad: VadResult;
  /** True when no hypothesis exists for this file id (scored as all missed). */
  missingHyp: boolean;
}

/** Result of {@link evaluateRttmDirs}. */
export interface EvalReport {
  /** Collars evaluated, seconds, in the order given. */
  collars: number[];
  /** One entry per reference file id, sorted by file id. */
  files: FileEval[];
  total: {
    /** Collar key (as in {@link FileEval.der}) → components summed over files, then der = errors / total. */
    der: Record<string, DerTotals>;
    /** Mean of the per-file JERs (0 when there are no files). */
    jer: number;
    /** tp/fp/fn pooled over files, then precision/recall/F1. */
    vad: VadResult;
  };
}

/** `.rttm` files directly in `dir`, sorted by name. */
async function listRttm(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.rttm'))
    .map((e) => e.name)
    .sort();
}

function stem(fileName: string): string {
  return basename(fileName).replace(/\.rttm$/i, '');
}

/**
 * Evaluates every reference recording in `refDir` against the hypotheses in `hypDir`.
 *
 * Every `*.rttm` file in `refDir` is parsed; each file id it contains is one recording (a file with
 * no `SPEAKER` line is one recording without speech, its id being the file name without
 * `.rttm`). All `*.rttm` files in `hypDir` are parsed and merged into one file id → turns map, so
 * hypotheses may be one file per recording (`X.rttm` holding id `X`) or any other split. A
 * recording has a hypothesis when that map holds its id or when `hypDir` has a file `<id>.rttm`
 * (which may be empty: the system found no speech). Without a hypothesis the recording is scored
 * with empty hypothesis (all reference speech missed) and flagged `missingHyp`. Hypothesis ids
 * absent from the reference are ignored. No UEM: the whole timeline is scored.
 *
 * @param refDir directory of reference RTTM files.
 * @param hypDir directory of hypothesis RTTM files.
 * @param opts collars in seconds (each ≥ 0), default `[0, 0.25]`.
 * @returns per-file and total scores (durations in seconds, rates as fractions).
 * @throws Error when a directory cannot be read, `refDir` holds no `*.rttm` file, or an RTTM file
 *   is malformed (the message names the file and line); RangeError on a negative collar.
 */
export async function evaluateRttmDirs(
  refDir: string,
  hypDir: string,
  opts: EvalDirsOptions = {},
): Promise<EvalReport> {
  const collars = opts.collars ?? [0, 0.25];
  const refFiles = await listRttm(refDir);
  if (refFiles.length === 0) throw new Error(`no .rttm files in reference directory ${refDir}`);

  const readAll = async (dir: string, names: string[]): Promise<Map<string, SpeakerSegment[]>> => {
    const merged = new Map<string, SpeakerSegment[]>();
    for (const name of names) {
      const path = join(dir, name);
      let parsed: Map<string, SpeakerSegment[]>;
      try {
        parsed = parseRttm(await readFile(path, 'utf8'));
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
      }
      if (parsed.size === 0 && !merged.has(stem(name))) merged.set(stem(name), []);
      for (const [id, turns] of parsed) merged.set(id, [...(merged.get(id) ?? []), ...turns]);
    }
    return merged;
  };
  const refs = await readAll(refDir, refFiles);
  const hypNames = await listRttm(hypDir);
  const hyps = await readAll(hypDir, hypNames);
  const hypStems = new Set(hypNames.map(stem));

  const files: FileEval[] = [];
  for (const fileId of [...refs.keys()].sort()) {
    const ref = refs.get(fileId) ?? [];
    const missingHyp = !hyps.has(fileId) && !hypStems.has(fileId);
    const hyp = hyps.get(fileId) ?? [];
    const der: Record<string, DerResult> = {};
    for (const collar of collars) der[String(collar)] = diarizationErrorRate(ref, hyp, { collar });
    files.push({
      fileId,
      refSpeakers: mergeTurnsBySpeaker(ref).size,
      hypSpeakers: mergeTurnsBySpeaker(hyp).size,
      der,
      jer: jaccardErrorRate(ref, hyp).jer,
      vad: vadMetrics(speechRegions(ref), speechRegions(hyp)),
      missingHyp,
    });
  }

  const totalDer: Record<string, DerTotals> = {};
  for (const collar of collars) {
    const key = String(collar);
    const t = { missed: 0, falseAlarm: 0, confusion: 0, total: 0, correct: 0 };
    for (const f of files) {
      const d = f.der[key];
      t.missed += d.missed;
      t.falseAlarm += d.falseAlarm;
      t.confusion += d.confusion;
      t.total += d.total;
      t.correct += d.correct;
    }
    const errors = t.missed + t.falseAlarm + t.confusion;
    totalDer[key] = { der: t.total > 0 ? errors / t.total : errors > 0 ? Infinity : 0, ...t };
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const f of files) {
    tp += f.vad.tp;
    fp += f.vad.fp;
    fn += f.vad.fn;
  }
  const jer = files.length > 0 ? files.reduce((a, f) => a + f.jer, 0) / files.length : 0;
  return { collars, files, total: { der: totalDer, jer, vad: vadScores(tp, fp, fn) } };
}

function pct(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : 'inf';
}

/** Component as a percentage of the scored reference time (`-` when there is none). */
function share(seconds: number, total: number): string {
  return total > 0 ? pct(seconds / total) : seconds > 0 ? 'inf' : '-';
}

function collarLabel(collar: number): string {
  return collar === 0 ? 'no collar' : `${collar} s collar`;
}

/**
 * Renders an {@link EvalReport} as a Markdown table: file | ref spk | hyp spk | DER (no collar) |
 * miss | FA | conf | DER (<c> s collar) for every other collar | JER | VAD F1, one row per file and
 * a TOTAL row. Rates are percentages with one decimal; miss / FA / conf are percentages of the
 * scored reference speech of the first collar (collar 0 when evaluated); `inf` marks a DER with
 * no reference speech but false alarms. Files without hypothesis are marked `(no hyp)`.
 *
 * @param report the result of {@link evaluateRttmDirs}.
 * @returns the table, lines joined with `\n`, ending with `\n`.
 */
export function formatEvalTable(report: EvalReport): string {
  const main = report.collars.includes(0) ? 0 : report.collars[0];
  const others = report.collars.filter((c) => c !== main);
  const mainKey = main === undefined ? undefined : String(main);
  const header = [
    'file',
    'ref spk',
    'hyp spk',
    `DER (${main === undefined ? 'no collar' : collarLabel(main)})`,
    'miss',
    'FA',
    'conf',
    ...others.map((c) => `DER (${collarLabel(c)})`),
    'JER',
    'VAD F1',
  ];
  const derCells = (der: Record<string, DerTotals>): string[] => {
    const m = mainKey === undefined ? undefined : der[mainKey];
    return [
      m ? pct(m.der) : '-',
      m ? share(m.missed, m.total) : '-',
      m ? share(m.falseAlarm, m.total) : '-',
      m ? share(m.confusion, m.total) : '-',
      ...others.map((c) => pct(der[String(c)].der)),
    ];
  };
  const rows = report.files.map((f) => [
    (f.fileId + (f.missingHyp ? ' (no hyp)' : '')).replace(/\|/g, '\\|'),
    String(f.refSpeakers),
    String(f.hypSpeakers),
    ...derCells(f.der),
    pct(f.jer),
    pct(f.vad.f1),
  ]);
  rows.push([
    '**TOTAL**',
    String(report.files.reduce((a, f) => a + f.refSpeakers, 0)),
    String(report.files.reduce((a, f) => a + f.hypSpeakers, 0)),
    ...derCells(report.total.der),
    pct(report.total.jer),
    pct(report.total.vad.f1),
  ]);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n') + '\n';
}

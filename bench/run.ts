/**
 * `npm run bench` — speed and memory of file analysis (a benchmark, not a test).
 *
 * 1. Dev diarization set: every file analysed `RUNS` times (default 3) in one process; per-file
 *    median RTF, total RTF (sum of processing / sum of audio over the medians) and per-stage ms.
 * 2. Long recordings: 30- and 60-minute files built by concatenating dev recordings with ffmpeg,
 *    each analysed in a child process that reports its peak RSS (`process.resourceUsage().maxRSS`).
 * Writes `bench/results/bench-<timestamp>.json` and `bench/results/latest.md`.
 * Environment: CALLSCOPE_MODELS_DIR (models), BENCH_RUNS, BENCH_LONG (comma list of minutes,
 * default "30,60"; empty to skip).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { devDataRoot } from '../src-main/cli/eval-dev.ts';
import { startRunRecord } from '../src-main/cli/run-record.ts';
import { resolveFfmpeg } from '../src-main/engine/audio/ffmpeg.ts';
import { analyzeFile, loadEngineModels } from '../src-main/engine/index.ts';
import type { StageTimings } from '../src-shared/contracts/analysis.ts';
import { median } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LONG = (process.env.BENCH_LONG ?? '30,60').split(',').filter(Boolean).map(Number);
const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'bench', 'results');

/** Child-process mode: analyse one file and print {rtf, maxRssMb, timings} as JSON. */
async function child(file: string): Promise<void> {
  const models = await loadEngineModels();
  const r = await analyzeFile(file, models);
  const usage = process.resourceUsage();
  const maxRssMb = usage.maxRSS / 1024;
  const cpuRtf = (usage.userCPUTime + usage.systemCPUTime) / 1e6 / r.durationS;
  process.stdout.write(
    JSON.stringify({
      rtf: r.rtf,
      cpuRtf,
      durationS: r.durationS,
      maxRssMb,
      timingsMs: r.timingsMs,
      speakers: r.speakers.length,
    }),
  );
}

/** Concatenates dev recordings (mono, 16 kHz) until `minutes` long. @returns the wav path. */
function buildLongFile(minutes: number): string {
  const dir = join(devDataRoot(), 'diarization');
  // only the .wav files: all 16 kHz mono PCM, so the concat demuxer joins them cleanly
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort();
  const list = join(tmpdir(), `callscope-bench-${minutes}.txt`);
  const out = join(tmpdir(), `callscope-bench-${minutes}min.wav`);
  if (existsSync(out)) return out;
  const lines: string[] = [];
  for (let i = 0; lines.length < 400; i++) lines.push(`file '${join(dir, files[i % files.length])}'`);
  writeFileSync(list, lines.join('\n'));
  execFileSync(resolveFfmpeg(), [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-ac',
    '1',
    '-ar',
    '16000',
    '-t',
    String(minutes * 60),
    out,
  ]);
  return out;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  mkdirSync(outDir, { recursive: true });
  const run = startRunRecord(root);
  const models = await loadEngineModels();
  const dir = join(devDataRoot(), 'diarization');
  const perFile: {
    cpuS: number;
    file: string;
    durationS: number;
    medianRtf: number;
    medianMs: number;
    stages: StageTimings;
  }[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => /\.(wav|m4a)$/.test(n))
    .sort()) {
    const runs = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      runs.push(await analyzeFile(join(dir, f), models));
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
    }
    const totals = runs.map((r) => r.timingsMs.total ?? 0);
    const mid = runs[totals.indexOf(median(totals))] ?? runs[0];
    perFile.push({
      cpuS: median(cpu),
      file: f,
      durationS: mid.durationS,
      medianRtf: median(runs.map((r) => r.rtf)),
      medianMs: median(totals),
      stages: mid.timingsMs,
    });
    process.stderr.write(`${f}: RTF ${median(runs.map((r) => r.rtf)).toFixed(4)}\n`);
  }
  const audioS = perFile.reduce((s, x) => s + x.durationS, 0);
  const procS = perFile.reduce((s, x) => s + x.medianMs / 1000, 0);
  const cpuS = perFile.reduce((s, x) => s + x.cpuS, 0);
  const load = loadavg()[0];
  const stageTotals: Record<string, number> = {};
  for (const p of perFile)
    for (const [k, v] of Object.entries(p.stages)) stageTotals[k] = (stageTotals[k] ?? 0) + (v ?? 0);
  const long = [];
  for (const minutes of LONG) {
    const file = buildLongFile(minutes);
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench', 'run.ts'), '--child', file],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const r = JSON.parse(out) as {
      rtf: number;
      cpuRtf: number;
      durationS: number;
      maxRssMb: number;
      timingsMs: StageTimings;
      speakers: number;
    };
    long.push({ minutes, ...r });
    process.stderr.write(`${minutes} min: RTF ${r.rtf.toFixed(4)}, peak RSS ${r.maxRssMb.toFixed(0)} MB\n`);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const report = {
    date: new Date().toISOString(),
    machine,
    runs: RUNS,
    loadAverage1m: load,
    dev: {
      audioS,
      procS,
      cpuS,
      rtf: procS / audioS,
      cpuRtf: cpuS / audioS,
      stageTotalsMs: stageTotals,
      perFile,
    },
    long,
    run: run.finish(),
  };
  writeFileSync(
    join(outDir, `bench-${report.date.replace(/[:.]/g, '-')}.json`),
    JSON.stringify(report, null, 2),
  );
  let md = `# Benchmark (${report.date})\n\nMachine: ${machine}. Median of ${RUNS} runs per file. 1-minute load average at the end: ${load.toFixed(1)} (other work on the machine inflates wall-clock RTF; CPU-time RTF = process CPU seconds per audio second is less sensitive to it).\n\n`;
  md += `## Dev diarization set\n\nTotal RTF ${report.dev.rtf.toFixed(4)} (${procS.toFixed(1)} s for ${audioS.toFixed(1)} s of audio); CPU-time RTF ${report.dev.cpuRtf.toFixed(4)}.\n\n`;
  md += `Per stage (ms, summed over files): ${Object.entries(stageTotals)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(', ')}\n\n`;
  md += '| file | duration (s) | median RTF | CPU s |\n| --- | ---: | ---: | ---: |\n';
  for (const p of perFile)
    md += `| ${p.file} | ${p.durationS.toFixed(1)} | ${p.medianRtf.toFixed(4)} | ${p.cpuS.toFixed(2)} |\n`;
  md +=
    '\n## Long recordings (one run each, child process)\n\n| minutes | RTF | CPU-time RTF | peak RSS (MB) | speakers |\n| ---: | ---: | ---: | ---: | ---: |\n';
  for (const l of long)
    md += `| ${l.minutes} | ${l.rtf.toFixed(4)} | ${l.cpuRtf.toFixed(4)} | ${l.maxRssMb.toFixed(0)} | ${l.speakers} |\n`;
  writeFileSync(join(outDir, 'latest.md'), md);
  process.stdout.write(md);
}

await main();

/**
 * Live monitoring benchmarks (`npm run bench:live`), on the dev stereo calls replayed as live
 * sources:
 *  - live DER (streaming pipeline, replay unpaced) vs offline DER (file pipeline) per file,
 *    collars 0 and 0.25 s (md-eval convention), scored with src-main/engine/eval/der.ts;
 *  - real-time sessions (paced at 1×, `BENCH_LIVE_S` seconds each, default 60): frame-to-event
 *    latency of VAD events (p95), first-label latency of each remote speaker (p95), CPU per live
 *    call (process CPU time / audio time), and N concurrent sessions (default 8) with their
 *    diarization lag (a backlog that grows shows as a lag that rises to the end);
 *  - first labels on the dev diarization set (`sim`, 17 files, ~56 speakers: a larger sample than
 *    the few remote speakers of the stereo calls): each file is fed to the streaming diarizer as
 *    the system channel and every step is processed as soon as its audio is complete ("simulated
 *    real time"); a speaker's first-label latency is the audio time at which the label's
 *    `turn_start` is emitted minus the onset of its first reference turn (≥ 0.3 s), plus the
 *    measured processing time of that step.
 * Writes bench/results/live.json and prints a Markdown summary.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import type { Turn } from '../src-shared/contracts/analysis.ts';
import type { LiveEvent } from '../src-shared/contracts/live.ts';
import { parseRttm, type SpeakerSegment } from '../src-shared/formats/rttm.ts';
import { startRunRecord } from '../src-main/cli/run-record.ts';
import { ReplaySource } from '../src-main/capture/replay.ts';
import { diarizationErrorRate } from '../src-main/engine/eval/der.ts';
import {
  analyzeFile,
  type EngineModels,
  loadEngineModels,
} from '../src-main/engine/pipeline/analyze-file.ts';
import { LiveSession } from '../src-main/engine/pipeline/live-session.ts';
import { LiveDiarizer } from '../src-main/engine/diarization/live-diarizer.ts';
import { decodeStream, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { SileroVad } from '../src-main/engine/vad/silero.ts';

process.env.CALLSCOPE_MODELS_DIR ??= join(import.meta.dirname, '..', '..', 'shared', 'models');
const STEREO = join(import.meta.dirname, '..', '..', 'shared', 'data', 'dev', 'stereo');
const FILES = [
  'ami_ES2004_1min_constructed_2ch.wav',
  'aws_lca_auto_repairs_40_stereo.wav',
  'verbatim_therapie_djimic2_2ch.m4a',
];
const LIVE_S = Number(process.env.BENCH_LIVE_S ?? 60);
const CONCURRENT = Number(process.env.BENCH_LIVE_N ?? 8);
const ONLY = process.env.BENCH_LIVE_ONLY ?? 'der,rt,concurrent,sim';
const DIARIZATION = join(import.meta.dirname, '..', '..', 'shared', 'data', 'dev', 'diarization');

const pct = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const r = (v: number, d = 3): number => Number(v.toFixed(d));
const segs = (turns: Turn[]): SpeakerSegment[] =>
  turns.map((t) => ({ start: t.startS, end: t.endS, speaker: t.speakerId }));
const refOf = (file: string): SpeakerSegment[] => {
  const id = file.replace(/\.[^.]+$/, '');
  return parseRttm(readFileSync(join(STEREO, `${id}.rttm`), 'utf8')).get(id) ?? [];
};
const der = (ref: SpeakerSegment[], hyp: SpeakerSegment[], collar: number, end?: number) =>
  diarizationErrorRate(ref, hyp, { collar, uem: end ? { start: 0, end } : undefined });

async function liveRun(models: EngineModels, file: string, speed: number, maxS?: number) {
  const session = new LiveSession(models);
  const events: { e: LiveEvent; wallS: number }[] = [];
  let t0 = 0;
  session.on((e) => {
    if (e.type === 'session' && e.state === 'started') t0 = performance.now();
    events.push({ e, wallS: (performance.now() - t0) / 1000 });
  });
  const summary = await session.run(new ReplaySource([join(STEREO, file)], { speed, maxS }));
  return { session, events, summary };
}

/**
 * First-label latency per remote reference speaker: wall seconds from its first turn's onset to
 * the first system `turn_start` announcing a turn that overlaps [onset, onset + 3 s] — `anyS`
 * for any speaker label starting at or after onset − 0.5 s, `correctS` for a speaker that the
 * final DER mapping assigns to that reference speaker (merges followed).
 */
function firstLabelLatencies(
  ref: SpeakerSegment[],
  turns: Turn[],
  events: { e: LiveEvent; wallS: number }[],
  endS: number,
) {
  const mapping = der(ref, segs(turns), 0, endS).mapping; // hyp → ref
  const alias = new Map<string, string>();
  for (const { e } of events)
    if (e.type === 'speaker' && e.change === 'merged' && e.into) alias.set(e.speaker, e.into);
  const final = (k: string): string => (alias.has(k) ? final(alias.get(k)!) : k);
  const ends = new Map<string, number>();
  for (const { e } of events) if (e.type === 'turn') ends.set(`${e.speaker}@${e.start_s}`, e.end_s);
  const remoteRefs = new Set(
    turns
      .filter((t) => t.channel === 'system')
      .map((t) => mapping[t.speakerId])
      .filter(Boolean),
  );
  const out: { speaker: string; onsetS: number; anyS: number | null; correctS: number | null }[] = [];
  for (const spk of remoteRefs) {
    const first = ref
      .filter((x) => x.speaker === spk && x.end - x.start >= 0.5 && x.start < endS - 3)
      .sort((x, y) => x.start - y.start)[0];
    if (!first) continue;
    const o = first.start;
    let anyS: number | null = null;
    let correctS: number | null = null;
    for (const { e, wallS } of events) {
      if (e.type !== 'turn_start' || e.channel !== 'system') continue;
      const end = ends.get(`${e.speaker}@${e.start_s}`) ?? endS;
      if (end < o || e.start_s > o + 3) continue;
      if (anyS === null && e.start_s >= o - 0.5) anyS = wallS - o;
      if (mapping[final(e.speaker)] === spk) {
        correctS = Math.max(0, wallS - o);
        break;
      }
    }
    out.push({
      speaker: spk,
      onsetS: o,
      anyS: anyS === null ? null : r(anyS),
      correctS: correctS === null ? null : r(correctS),
    });
  }
  return out;
}

/**
 * First-label latencies of one mono file in simulated real time (see the module doc).
 * @returns per reference speaker: onset (s), `anyS` (first new turn of any label starting at or
 *   after onset − 0.5 s that overlaps the first turn) and `correctS` (first turn of the speaker the
 *   final DER mapping gives it), null when none came during that turn.
 */
async function simFirstLabels(models: EngineModels, file: string, ref: SpeakerSegment[]) {
  const vad = new SileroVad(models.vadModel, 1);
  const starts: { k: number; start: number; at: number; ms: number }[] = [];
  const fresh: { ms: number }[] = [];
  const turns: { k: number; s: number; e: number }[] = [];
  const alias = new Map<number, number>();
  const d: LiveDiarizer = new LiveDiarizer(models.segmenter, models.embedder, {
    onSpeakerNew: () => undefined,
    onMerge: (a, b) => alias.set(a, b),
    onTurnStart: (k, start) => {
      const ev = { k, start, at: d.samples / 16_000, ms: 0 };
      starts.push(ev);
      fresh.push(ev);
    },
    onTurnEnd: (k, s0, e) => turns.push({ k, s: s0, e }),
    onEvidence: () => undefined,
  });
  let pend = new Float32Array(0);
  const cpu0 = process.cpuUsage();
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) {
    const m = new Float32Array(pend.length + x.length);
    m.set(pend);
    m.set(x, pend.length);
    pend = m;
    let o = 0;
    for (; o + 512 <= pend.length; o += 512) {
      const frame = pend.slice(o, o + 512);
      const [p] = await vad.push(frame);
      const t0 = performance.now();
      d.pushFrame(frame, p ?? 0);
      await d.drain();
      const ms = performance.now() - t0;
      for (const ev of fresh) ev.ms = ms;
      fresh.length = 0;
    }
    pend = pend.slice(o);
  }
  await d.finish();
  const c = process.cpuUsage(cpu0);
  const fin = (k: number): number => (alias.has(k) ? fin(alias.get(k)!) : k);
  const hyp = turns.map((t) => ({ start: t.s, end: t.e, speaker: String(fin(t.k)) }));
  const scored = der(ref, hyp, 0);
  const mapping = scored.mapping;
  const out: { speaker: string; onsetS: number; anyS: number | null; correctS: number | null }[] = [];
  for (const spk of new Set(ref.map((x) => x.speaker))) {
    const first = ref
      .filter((x) => x.speaker === spk && x.end - x.start >= 0.3)
      .sort((a, b) => a.start - b.start)[0];
    if (!first) continue;
    const o = first.start;
    const e1 = Math.min(first.end, o + 3);
    let anyS: number | null = null;
    let correctS: number | null = null;
    for (const ev of starts) {
      const end = turns.find((t) => t.k === ev.k && Math.abs(t.s - ev.start) < 1e-6)?.e ?? Infinity;
      if (end <= o || ev.start >= e1) continue;
      const lat = Math.max(0, ev.at - o) + ev.ms / 1000;
      if (ev.start >= o - 0.5 && (anyS === null || lat < anyS)) anyS = lat;
      if (mapping[String(fin(ev.k))] === spk && (correctS === null || lat < correctS)) correctS = lat;
    }
    out.push({
      speaker: spk,
      onsetS: r(o),
      anyS: anyS === null ? null : r(anyS),
      correctS: correctS === null ? null : r(correctS),
    });
  }
  return {
    speakers: out,
    cpuS: (c.user + c.system) / 1e6,
    audioS: d.samples / 16_000,
    der: scored.der,
    refS: scored.total,
  };
}

const run = startRunRecord(import.meta.dirname);
const models = await loadEngineModels();
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  liveSeconds: LIVE_S,
};
let md = `# Live monitoring benchmark (${report.date as string})\n\n`;

if (ONLY.includes('der')) {
  const rows: Record<string, unknown>[] = [];
  md +=
    '## Live vs offline DER (dev stereo)\n\n| file | offline DER c=0 | live DER c=0 | offline DER c=0.25 | live DER c=0.25 | live RTF | live speakers |\n|---|---:|---:|---:|---:|---:|---:|\n';
  const tot = { off0: [0, 0], live0: [0, 0], off25: [0, 0], live25: [0, 0] };
  for (const f of FILES) {
    const ref = refOf(f);
    const off = await analyzeFile(join(STEREO, f), models);
    const t0 = performance.now();
    const live = await liveRun(models, f, Infinity);
    const rtf = (performance.now() - t0) / 1000 / live.summary.durationS;
    const d = {
      off0: der(ref, segs(off.turns), 0),
      live0: der(ref, segs(live.session.turns), 0),
      off25: der(ref, segs(off.turns), 0.25),
      live25: der(ref, segs(live.session.turns), 0.25),
    };
    for (const k of Object.keys(tot) as (keyof typeof tot)[]) {
      tot[k][0] += d[k].der * d[k].total;
      tot[k][1] += d[k].total;
    }
    const spk = live.summary.speakers.map((s) => s.id).join(' ');
    md += `| ${basename(f)} | ${(100 * d.off0.der).toFixed(1)} | ${(100 * d.live0.der).toFixed(1)} | ${(100 * d.off25.der).toFixed(1)} | ${(100 * d.live25.der).toFixed(1)} | ${rtf.toFixed(3)} | ${spk} |\n`;
    rows.push({
      file: f,
      offline: { c0: r(d.off0.der, 4), c025: r(d.off25.der, 4) },
      live: { c0: r(d.live0.der, 4), c025: r(d.live25.der, 4) },
      liveRtf: r(rtf, 4),
      speakers: live.summary.speakers,
    });
  }
  const t = (k: keyof typeof tot): string => ((100 * tot[k][0]) / tot[k][1]).toFixed(1);
  md += `| **total** | ${t('off0')} | ${t('live0')} | ${t('off25')} | ${t('live25')} | | |\n\n`;
  report.der = {
    files: rows,
    total: { offline: { c0: t('off0'), c025: t('off25') }, live: { c0: t('live0'), c025: t('live25') } },
  };
}

if (ONLY.includes('rt')) {
  // one real-time session per file, one after the other: latency and CPU per call
  const vad: number[] = [];
  const first: number[] = [];
  const firstCorrect: number[] = [];
  const cpuShares: number[] = [];
  const perFile: Record<string, unknown>[] = [];
  for (const f of FILES) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const run = await liveRun(models, f, 1, LIVE_S);
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6 / ((performance.now() - w0) / 1000);
    cpuShares.push(cpu);
    vad.push(...run.session.stats.vadLatencyMs);
    const fl = firstLabelLatencies(refOf(f), run.session.turns, run.events, run.summary.durationS);
    for (const x of fl) {
      if (x.anyS !== null) first.push(x.anyS);
      if (x.correctS !== null) firstCorrect.push(x.correctS);
    }
    perFile.push({
      file: f,
      cpuCores: r(cpu),
      vadP95Ms: r(pct(run.session.stats.vadLatencyMs, 0.95)),
      firstLabel: fl,
      maxLagS: r(run.session.stats.maxDiarizerLagS),
    });
  }
  report.realtime = {
    vadLatencyMs: { p50: r(pct(vad, 0.5)), p95: r(pct(vad, 0.95)), n: vad.length },
    firstLabelS: { p50: r(pct(first, 0.5)), p95: r(pct(first, 0.95)), n: first.length },
    firstCorrectLabelS: {
      p50: r(pct(firstCorrect, 0.5)),
      p95: r(pct(firstCorrect, 0.95)),
      n: firstCorrect.length,
    },
    cpuPerCall: {
      mean: r(cpuShares.reduce((a, b) => a + b, 0) / cpuShares.length),
      max: r(Math.max(...cpuShares)),
    },
    perFile,
  };
  const rt = report.realtime as Record<string, Record<string, number>>;
  md += `## Real time, one call at a time (${LIVE_S} s per file)\n\n`;
  md += `- frame-to-event latency (VAD events): p50 ${rt.vadLatencyMs.p50} ms, p95 **${rt.vadLatencyMs.p95} ms** (n = ${rt.vadLatencyMs.n})\n`;
  md += `- first label of a remote speaker after its reference onset (any speaker label): p50 ${rt.firstLabelS.p50} s, p95 **${rt.firstLabelS.p95} s** (n = ${rt.firstLabelS.n}); label of the finally-mapped speaker: p50 ${rt.firstCorrectLabelS.p50} s, p95 ${rt.firstCorrectLabelS.p95} s (n = ${rt.firstCorrectLabelS.n})\n`;
  md += `- CPU per live call: mean **${(100 * rt.cpuPerCall.mean).toFixed(1)} %** of one core, max ${(100 * rt.cpuPerCall.max).toFixed(1)} %\n\n`;
}

if (ONLY.includes('concurrent')) {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) => liveRun(models, FILES[i % FILES.length], 1, LIVE_S)),
  );
  const wall = (performance.now() - w0) / 1000;
  const c = process.cpuUsage(c0);
  const lags = runs.map((x) => x.session.stats.diarizerLagS);
  const maxLag = Math.max(...runs.map((x) => x.session.stats.maxDiarizerLagS));
  // growing backlog: lag over the last quarter vs the first quarter of each session
  const trend = lags.map((l) => {
    const q = Math.max(1, Math.floor(l.length / 4));
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    return r(avg(l.slice(-q)) - avg(l.slice(0, q)));
  });
  const frameP95 = pct(
    runs.flatMap((x) => x.session.stats.frameLatencyMs),
    0.95,
  );
  const vadP95 = pct(
    runs.flatMap((x) => x.session.stats.vadLatencyMs),
    0.95,
  );
  const audio = runs.reduce((a, x) => a + x.summary.durationS, 0);
  report.concurrent = {
    sessions: CONCURRENT,
    wallS: r(wall),
    audioS: r(audio),
    cpuCoresUsed: r((c.user + c.system) / 1e6 / wall),
    cpuPerCall: r((c.user + c.system) / 1e6 / audio),
    maxDiarizerLagS: r(maxLag),
    lagTrendS: trend,
    frameLatencyP95Ms: r(frameP95),
    vadLatencyP95Ms: r(vadP95),
  };
  const cc = report.concurrent as Record<string, number>;
  md += `## ${CONCURRENT} concurrent real-time calls (${LIVE_S} s each)\n\n`;
  md += `- wall ${cc.wallS} s for ${cc.audioS} s of audio; CPU ${cc.cpuCoresUsed} cores in all, ${(100 * cc.cpuPerCall).toFixed(1)} % of a core per call\n`;
  md += `- diarization lag: max ${cc.maxDiarizerLagS} s; last-quarter minus first-quarter lag per session: ${trend.join(', ')} s (≈ 0 = no growing backlog)\n`;
  md += `- frame latency p95 ${cc.frameLatencyP95Ms} ms, VAD event latency p95 ${cc.vadLatencyP95Ms} ms\n`;
}

if (ONLY.includes('sim')) {
  const any: number[] = [];
  const correct: number[] = [];
  let speakers = 0;
  let cpuS = 0;
  let audioS = 0;
  let errS = 0;
  let refS = 0;
  const perFile: Record<string, unknown>[] = [];
  for (const f of readdirSync(DIARIZATION)
    .filter((x) => !x.endsWith('.rttm'))
    .sort()) {
    const id = f.replace(/\.[^.]+$/, '');
    const ref = parseRttm(readFileSync(join(DIARIZATION, `${id}.rttm`), 'utf8')).get(id) ?? [];
    const res = await simFirstLabels(models, join(DIARIZATION, f), ref);
    cpuS += res.cpuS;
    audioS += res.audioS;
    errS += res.der * res.refS;
    refS += res.refS;
    for (const x of res.speakers) {
      speakers++;
      if (x.anyS !== null) any.push(x.anyS);
      if (x.correctS !== null) correct.push(x.correctS);
    }
    perFile.push({ file: f, der: r(res.der, 4), speakers: res.speakers });
  }
  report.simulated = {
    speakers,
    anyLabelS: { p50: r(pct(any, 0.5)), p95: r(pct(any, 0.95)), n: any.length },
    correctLabelS: { p50: r(pct(correct, 0.5)), p95: r(pct(correct, 0.95)), n: correct.length },
    cpuPerAudioS: r(cpuS / audioS, 4),
    der: r(errS / refS, 4),
    perFile,
  };
  const sm = report.simulated as Record<string, Record<string, number>>;
  md += `## First labels, dev diarization set in simulated real time (${speakers} reference speakers)\n\n`;
  md += `- a new turn with any label: p50 ${sm.anyLabelS.p50} s, p95 **${sm.anyLabelS.p95} s** (n = ${sm.anyLabelS.n}; the others got none during their first turn)\n`;
  md += `- the label of the speaker the final DER mapping gives them: p50 ${sm.correctLabelS.p50} s, p95 ${sm.correctLabelS.p95} s (n = ${sm.correctLabelS.n} of ${speakers})\n`;
  md += `- CPU of the streaming diarizer: ${(100 * (report.simulated as { cpuPerAudioS: number }).cpuPerAudioS).toFixed(1)} % of a core per second of audio\n`;
  md += `- live DER of the streaming diarizer on these files (collar 0, whole file as one channel): ${(100 * (errS / refS)).toFixed(1)} %\n\n`;
}

report.run = run.finish();
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'live.json'), JSON.stringify(report, null, 2));
writeFileSync(join(import.meta.dirname, 'results', 'live.md'), md);
process.stdout.write(md);

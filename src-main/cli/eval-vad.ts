/**
 * `callscope eval-vad`: speech detection of each VAD backend (Silero v6, WebRTC) against the
 * union of reference turns of the dev diarization set (precision, recall, F1 per file and pooled;
 * `pyaa_diarizationExample` is skipped: its reference marks no silence, DATA.md).
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { parseRttm, speechRegions } from '../../src-shared/formats/rttm.ts';
import { decodeStream, ENGINE_SAMPLE_RATE, probeAudio } from '../engine/audio/ffmpeg.ts';
import { vadMetrics, vadScores, type VadResult } from '../engine/eval/vad-metrics.ts';
import type { OnnxModel } from '../engine/inference/onnx.ts';
import { speechRegionsFromProbs, type Interval } from '../engine/vad/regions.ts';
import { SileroVad } from '../engine/vad/silero.ts';
import { type StreamingVad, WebRtcVad } from '../engine/vad/webrtc.ts';
import { devDataRoot } from './eval-dev.ts';

/** VAD speech regions of a file (down-mixed to mono). */
export async function vadRegions(file: string, vad: StreamingVad): Promise<Interval[]> {
  const probe = await probeAudio(file);
  const probs: number[] = [];
  let n = 0;
  for await (const [x] of decodeStream(file, probe, { channels: 'mono' })) {
    n += x.length;
    for (const p of await vad.push(x)) probs.push(p);
  }
  for (const p of await vad.flush()) probs.push(p);
  return speechRegionsFromProbs(probs, vad.hopS, n / ENGINE_SAMPLE_RATE);
}

/** Per-backend, per-file VAD scores and the pooled total. */
export interface VadEvalReport {
  backends: Record<string, { files: Record<string, VadResult>; total: VadResult }>;
}

/** Scores Silero and WebRTC VAD on the dev diarization set. */
export async function evaluateVad(vadModel: OnnxModel): Promise<VadEvalReport> {
  const dir = join(devDataRoot(), 'diarization');
  const names = (await readdir(dir))
    .filter((n) => /\.(wav|m4a)$/.test(n) && !n.startsWith('pyaa_diarizationExample'))
    .sort();
  const report: VadEvalReport = { backends: {} };
  const makers: Record<string, () => StreamingVad> = {
    silero: () => new SileroVad(vadModel),
    webrtc: () => new WebRtcVad(3),
  };
  for (const [name, make] of Object.entries(makers)) {
    const files: Record<string, VadResult> = {};
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const n of names) {
      const id = n.replace(/\.[^.]+$/, '');
      const ref = [...parseRttm(await readFile(join(dir, `${id}.rttm`), 'utf8')).values()].flat();
      const hyp = await vadRegions(join(dir, n), make());
      const r = vadMetrics(speechRegions(ref), hyp);
      files[id] = r;
      tp += r.tp;
      fp += r.fp;
      fn += r.fn;
    }
    report.backends[name] = { files, total: vadScores(tp, fp, fn) };
  }
  return report;
}

/** Markdown table: file × backend F1 (P/R). */
export function formatVadTable(report: VadEvalReport): string {
  const backends = Object.keys(report.backends);
  const files = Object.keys(report.backends[backends[0]]?.files ?? {});
  const cell = (r: VadResult): string =>
    `${(100 * r.f1).toFixed(1)}% (P ${(100 * r.precision).toFixed(0)}, R ${(100 * r.recall).toFixed(0)})`;
  let md = `| file | ${backends.map((b) => `${b} F1 (P, R)`).join(' | ')} |\n| --- |${backends.map(() => ' ---: |').join('')}\n`;
  for (const f of files)
    md += `| ${f} | ${backends.map((b) => cell(report.backends[b].files[f])).join(' | ')} |\n`;
  md += `| **TOTAL** | ${backends.map((b) => cell(report.backends[b].total)).join(' | ')} |\n`;
  return md;
}
